using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Module;
using Kavach.StreamApi.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>/api/kavach/revocations</c>: revoke one token by its <c>jti</c>, every token a subject holds until now, or every
/// token an agent holds until now — with <c>events:admin</c>, or <c>events:revoke</c> (the console's response credential,
/// which must give a reason and can do nothing else: not even list revocations). Each revocation is recorded as an event
/// in the log in the same transaction (<c>agent.revoked</c> for an agent, <c>audit</c> otherwise), naming the token's
/// subject and the person it acts for, so it is in the hash chain. Every replica refuses the token at once from then on
/// and closes its open streams within about two seconds, with an <c>error</c> event <c>TOKEN_REVOKED</c>.
/// </summary>
public static class RevocationsApi
{
    public static IEndpointRouteBuilder MapRevocationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Revocations).WithTags("Revocations");
        api.MapPost("/", RevokeAsync).AddEndpointFilter(new RequireAnyScope(KavachScopes.Admin, KavachScopes.Revoke))
            .WithName("Revoke").WithSummary("Revoke a token (by its jti), a subject's or an agent's tokens issued until now, and record it in the log.");
        api.MapGet("/", ListAsync).AddEndpointFilter(new RequireToken(KavachScopes.Admin))
            .WithName("Revocations").WithSummary("The revocations in force.");
        return app;
    }

    public static async Task<Results<Created<RecordedRevocation>, ValidationProblem, ProblemHttpResult>> RevokeAsync(
        HttpContext context, EventStreamModule module, RevocationRequest? request)
    {
        var targets = new[] { ("tokenId", request?.TokenId), ("subject", request?.Subject), ("agentId", request?.AgentId) }
            .Where(t => t.Item2 is not null).ToList();
        if (request is null || targets.Count != 1)
        {
            return Problems.BadRequest("Send a JSON body naming exactly one of 'tokenId' (a token's jti), 'subject' or 'agentId', " +
                "and 'reason' (required with events:revoke), optionally 'onBehalfOf' (the person you act for) and 'keepForHours'.");
        }

        var subscriber = context.GetSubscriber();
        var (field, value) = (targets[0].Item1, targets[0].Item2!);
        if (IdText.Check(value) is { } valueError)
        {
            return Problems.BadRequest($"'{field}': {valueError}");
        }

        foreach (var (name, text) in new[] { ("reason", request.Reason), ("onBehalfOf", request.OnBehalfOf) })
        {
            if (text is not null && PlainText.Check(text) is { } error)
            {
                return Problems.BadRequest($"'{name}': {error}");
            }
        }

        if (!subscriber.HasScope(KavachScopes.Admin) && string.IsNullOrWhiteSpace(request.Reason))
        {
            return Problems.BadRequest($"'reason' is required with the {KavachScopes.Revoke} scope: say why, it is recorded in the log.");
        }

        if (request.KeepForHours is < 1 or > 24 * 366)
        {
            return Problems.BadRequest("'keepForHours' must be between 1 and 8784 (a revocation must outlive the tokens it stops).");
        }

        var kind = field switch
        {
            "tokenId" => RevocationKind.Token,
            "subject" => RevocationKind.Subject,
            _ => RevocationKind.Agent,
        };
        var keepFor = request.KeepForHours is { } hours ? TimeSpan.FromHours(hours) : RevocationStore.DefaultKeepFor;
        var order = new RevocationOrder(kind, value, request.Reason, subscriber.Id, keepFor);
        var record = RevocationRecord.Draft(order, request.OnBehalfOf);
        var commit = await module.RevokeAsync(record, new Emitter(subscriber.Id), order, CancellationToken.None);
        return commit.Outcome switch
        {
            EmitOutcome.Emitted emitted => Created(order, request.OnBehalfOf, emitted.Events[0], commit.Revocation),
            EmitOutcome.Rejected rejected => Problems.Invalid(rejected.Rejection.Errors),
            EmitOutcome.Unavailable unavailable => Problems.EmitUnavailable(context, unavailable.Title,
                unavailable.Detail + " A retry revokes again and records it again; both records stand.", unavailable.Ids, unavailable.MayBeStored),
            var other => throw new InvalidOperationException($"A revocation's record cannot end as {other.GetType().Name}."),
        };
    }

    private static Created<RecordedRevocation> Created(RevocationOrder order, string? onBehalfOf, EmittedEvent recorded, Revocation? revocation) =>
        TypedResults.Created($"{KavachRoutes.Revocations}/{revocation?.Id}", new RecordedRevocation(
            revocation?.Id, JsonNamingPolicy.CamelCase.ConvertName(order.Kind.ToString()), order.Value, order.Reason, order.RevokedBy, onBehalfOf,
            revocation?.RevokedAt, revocation?.ExpiresAt, recorded.Id, recorded.Sequence));

    public static async Task<Ok<RevocationList>> ListAsync(HttpContext context, RevocationStore store) =>
        TypedResults.Ok(new RevocationList(await store.ListAsync(context.RequestAborted)));
}

public sealed record RevocationList(IReadOnlyList<Revocation> Revocations);
