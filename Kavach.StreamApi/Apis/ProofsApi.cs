using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Integrity.Merkle;
using Kavach.StreamApi.Limits;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// Proofs from the Merkle tree over the log (docs/integrity.md, "The Merkle tree"): that an event is in the tree a
/// checkpoint signed (inclusion), and that a tree a checkpoint signed is a prefix of a later one (consistency) — each a
/// few dozen hashes, whatever the log's length.
/// </summary>
public static class ProofsApi
{
    public static IEndpointRouteBuilder MapProofsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Proofs).WithTags("Integrity").AddEndpointFilter(new RequireToken(KavachScopes.Read));
        api.MapGet("/inclusion", InclusionAsync)
            .WithName("InclusionProof").WithSummary("RFC 9162 inclusion proof of the event at a sequence in the tree of treeSize events.")
            .WithLimits(LimitedEndpoint.Proofs);
        api.MapGet("/consistency", ConsistencyAsync)
            .WithName("ConsistencyProof").WithSummary("RFC 9162 consistency proof that the tree of 'to' events extends the tree of 'from' events.")
            .WithLimits(LimitedEndpoint.Proofs);
        return app;
    }

    public static async Task<Results<Ok<InclusionProof>, ProblemHttpResult>> InclusionAsync(
        HttpContext context, TreeProofs proofs, long? sequence, long? treeSize, long? epoch)
    {
        if (IntegrityApi.EveryEventRefused(context) is { } refused)
        {
            return refused;
        }

        if (sequence is not >= 1 || treeSize is not { } size || size < sequence || epoch is < 1)
        {
            return Problems.BadRequest("'sequence' (1 or more) and 'treeSize' (at least 'sequence': the size of a signed tree head) are required; " +
                "'epoch', if given, is the epoch of the checkpoint that signed that tree size.");
        }

        return Answer(await proofs.InclusionAsync(sequence.Value, size, epoch, context.RequestAborted));
    }

    public static async Task<Results<Ok<ConsistencyProof>, ProblemHttpResult>> ConsistencyAsync(
        HttpContext context, TreeProofs proofs, long? from, long? to, long? epoch)
    {
        if (IntegrityApi.EveryEventRefused(context) is { } refused)
        {
            return refused;
        }

        if (from is not >= 1 || to is not { } size || size < from || epoch is < 1)
        {
            return Problems.BadRequest("'from' (1 or more: the tree size of the checkpoint you hold) and 'to' (at least 'from') are required; " +
                "'epoch', if given, is the epoch of the checkpoint that signed 'from'.");
        }

        return Answer(await proofs.ConsistencyAsync(from.Value, size, epoch, context.RequestAborted));
    }

    private static Results<Ok<T>, ProblemHttpResult> Answer<T>(ProofAnswer<T> answer)
    {
        if (answer.Refusal is { } refusal)
        {
            return TypedResults.Problem(statusCode: refusal.Status, title: refusal.Title, detail: refusal.Detail);
        }

        return TypedResults.Ok(answer.Proof!);
    }
}
