using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>/api/kavach/revocations</c> (scope <c>events:admin</c>): revoke one token by its <c>jti</c>, or every token a
/// subject holds until now. Stored in PostgreSQL; every replica refuses the token at once from then on and closes its
/// open streams within about two seconds, with an <c>error</c> event <c>TOKEN_REVOKED</c>.
/// </summary>
public static class RevocationsApi
{
    public static IEndpointRouteBuilder MapRevocationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Revocations).WithTags("Revocations").AddEndpointFilter(new RequireToken(KavachScopes.Admin));
        api.MapPost("/", RevokeAsync)
            .WithName("Revoke").WithSummary("Revoke a token (by its jti) or a subject's tokens issued until now.");
        api.MapGet("/", ListAsync)
            .WithName("Revocations").WithSummary("The revocations in force.");
        return app;
    }

    public static async Task<Results<Created<Revocation>, ProblemHttpResult>> RevokeAsync(
        HttpContext context, Revocations revocations, RevocationRequest? request)
    {
        if (request is null || (request.TokenId is null) == (request.Subject is null))
        {
            return Problems.BadRequest("Send a JSON body naming exactly one of 'tokenId' (a token's jti) or 'subject', and optionally 'reason' and 'keepForHours'.");
        }

        var (kind, value) = request.TokenId is { } jti ? (RevocationKind.Token, jti) : (RevocationKind.Subject, request.Subject!);
        foreach (var (name, text) in new[] { (request.TokenId is null ? "subject" : "tokenId", (string?)value), ("reason", request.Reason) })
        {
            if (text is not null && Events.IdText.Check(text) is { } error)
            {
                return Problems.BadRequest($"'{name}': {error}");
            }
        }

        if (request.KeepForHours is < 1 or > 24 * 366)
        {
            return Problems.BadRequest("'keepForHours' must be between 1 and 8784 (a revocation must outlive the tokens it stops).");
        }

        var keepFor = request.KeepForHours is { } hours ? TimeSpan.FromHours(hours) : RevocationStore.DefaultKeepFor;
        var revocation = await revocations.RevokeAsync(kind, value, request.Reason, context.GetSubscriber().Id, keepFor,
            context.RequestAborted);
        return TypedResults.Created($"{KavachRoutes.Revocations}/{revocation.Id}", revocation);
    }

    public static async Task<Ok<RevocationList>> ListAsync(HttpContext context, RevocationStore store) =>
        TypedResults.Ok(new RevocationList(await store.ListAsync(context.RequestAborted)));
}

public sealed record RevocationRequest(string? TokenId = null, string? Subject = null, string? Reason = null, int? KeepForHours = null);

public sealed record RevocationList(IReadOnlyList<Revocation> Revocations);
