using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Integrity;
using Kavach.StreamApi.Integrity.Witness;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// The tamper-evident log (docs/integrity.md): <c>/api/kavach/events/verify</c> recomputes the hash chain over a range
/// against the signed checkpoints; <c>/api/kavach/events/checkpoints</c> lists checkpoints, the keys that verify them
/// and the epochs, which is all an independent verifier needs besides the events.
/// </summary>
public static class IntegrityApi
{
    public static IEndpointRouteBuilder MapIntegrityApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Events).WithTags("Integrity").AddEndpointFilter(new RequireToken(KavachScopes.Read));
        api.MapGet("/verify", VerifyAsync)
            .WithName("Verify").WithSummary("Recompute the hash chain over sequences from..to and check the checkpoints in it.")
            .WithLimits(LimitedEndpoint.Verify);
        api.MapGet("/checkpoints", CheckpointsAsync)
            .WithName("Checkpoints").WithSummary("Signed checkpoints after a sequence, the public keys that verify them, and the epochs.");
        api.MapGet("/checkpoints/newest", NewestCheckpointAsync)
            .WithName("NewestCheckpoint").WithSummary("The newest signed checkpoint: where an auditor asks a consistency proof to.");
        return app;
    }

    public static async Task<Results<Ok<ChainReport>, ProblemHttpResult>> VerifyAsync(
        HttpContext context, ChainVerifier verifier, WitnessComparison witness, SubjectLimits limits, long? from, long? to)
    {
        if (EveryEventRefused(context) is { } refused)
        {
            return refused;
        }

        if (from is < 1 || to is < 1 || (from is { } f && to is { } t && t < f))
        {
            return Problems.BadRequest("'from' and 'to' are sequences (1 or more), 'from' ≤ 'to'; leave either out for the oldest stored event or the head.");
        }

        // Each verification is charged its whole range, up front, to its token's subject.
        var subscriber = context.GetSubscriber();
        ProblemHttpResult? overBudget = null;
        bool Admit(long events) => subscriber.IsAnonymous || (overBudget = limits.ChargeVerification(context, subscriber.Id, events)) is null;
        try
        {
            if (await verifier.VerifyAsync(from, to, context.RequestAborted, Admit) is not { } report)
            {
                return overBudget!;
            }

            report.Witness = await witness.CompareAsync(report.From, to, context.RequestAborted);
            return TypedResults.Ok(report.ToReport());
        }
        catch (ArgumentOutOfRangeException e)
        {
            return Problems.BadRequest(e.Message.Split(" (Parameter")[0]);
        }
    }

    public static async Task<Results<Ok<CheckpointList>, ProblemHttpResult>> CheckpointsAsync(
        HttpContext context, ChainStore chain, EventStore events, long? after, int? limit)
    {
        if (after is < 0 || limit is < 1 or > 1000)
        {
            return Problems.BadRequest("'after' is a sequence (0 or more) and 'limit' between 1 and 1000.");
        }

        var head = await chain.ReadHeadAsync(context.RequestAborted);
        var checkpoints = await chain.ReadCheckpointsAsync(head.StreamId, after ?? 0, long.MaxValue, limit ?? 100, newestFirst: false,
            context.RequestAborted);
        var keys = await chain.ReadKeysAsync(context.RequestAborted);
        var epochs = await events.ReadEpochsAsync(context.RequestAborted);
        return TypedResults.Ok(new CheckpointList(head.StreamId, [.. checkpoints.Select(c => c.ToView())], keys, epochs));
    }

    public static async Task<Results<Ok<Checkpoint>, ProblemHttpResult>> NewestCheckpointAsync(HttpContext context, ChainStore chain)
    {
        var head = await chain.ReadHeadAsync(context.RequestAborted);
        var newest = await chain.ReadCheckpointsAsync(head.StreamId, 0, long.MaxValue, 1, newestFirst: true, context.RequestAborted);
        return newest.Count == 1
            ? TypedResults.Ok(newest[0].ToView())
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No checkpoint", detail: "Nothing has been signed yet.");
    }

    /// <summary>Verification (and a proof) reads every event, so it is for tokens that may read every event.</summary>
    internal static ProblemHttpResult? EveryEventRefused(HttpContext context)
    {
        var reads = context.GetSubscriber().Reads;
        return reads.Types is null && !reads.NarrowsParties && !reads.SubjectIsAgent && !reads.SubjectIsUser
            ? null
            : Problems.Forbidden("Verification reads every event: it needs a token whose reads are not narrowed by kavach_types, kavach_agents, kavach_users or kavach_subject.");
    }
}

public sealed record CheckpointList(Guid StreamId, IReadOnlyList<Checkpoint> Checkpoints, IReadOnlyList<CheckpointKeyView> Keys,
    IReadOnlyList<EpochStart> Epochs);
