using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// Recomputes the chain over a range of stored events, checks each stored hash and each checkpoint in the range
/// (hash and signature), and names the first place where it breaks and how: <c>missing</c> (a sequence not stored),
/// <c>inserted</c> (a row the chain never had), <c>reordered</c> (two events swapped), <c>altered</c> (a changed
/// event, or a chain rewritten to match that a checkpoint contradicts).
/// </summary>
public sealed class ChainVerifier(
    ChainStore store,
    CheckpointService checkpoints,
    TrustedKeys keys,
    IOptions<Options.IntegrityOptions> options,
    IOptions<Options.StreamOptions> streamOptions,
    TimeProvider time)
{
    private const int PageSize = 2000;

    /// <param name="admit">
    /// Asked with the number of events in the range before any is read: false refuses the verification (a caller's
    /// budget), and the answer is null.
    /// </param>
    public async Task<ChainVerification?> VerifyAsync(long? from, long? to, CancellationToken cancellationToken, Func<long, bool>? admit = null)
    {
        await using var snapshot = await store.OpenSnapshotAsync(cancellationToken);
        var head = await snapshot.ReadHeadAsync(cancellationToken);
        var epochs = await snapshot.ReadEpochsAsync(cancellationToken);
        if (!keys.Pinned)
        {
            // Development: keys listed in the database count, and one listed since the signer last looked signed what we read.
            keys.Listed(await store.ReadKeysAsync(cancellationToken));
        }

        var last = Math.Min(to ?? head.Sequence, head.Sequence);
        // Left out, the range starts at the oldest stored event, or as far back as one request may go.
        var first = from ?? Math.Max(await snapshot.ReadFirstAboveAsync(0, cancellationToken) ?? head.Sequence + 1,
            last - options.Value.MaxVerifyRange + 1);
        if (first < 1 || last - first + 1 > options.Value.MaxVerifyRange)
        {
            throw new ArgumentOutOfRangeException(nameof(from),
                $"A range starts at 1 or later and holds at most {options.Value.MaxVerifyRange} events (Kavach:Integrity:MaxVerifyRange).");
        }

        if (admit is not null && !admit(Math.Max(0, last - first + 1)))
        {
            return null;
        }

        var report = new ChainVerification
        {
            From = first, To = last, Head = head.Sequence, Epoch = head.Epoch, Signer = checkpoints.Status, KeysPinned = keys.Pinned,
        };
        var anchor = await snapshot.ReadAnchorAsync(cancellationToken);
        if (anchor is { } retained && !await AnchorHoldsAsync(snapshot, head, retained, report, cancellationToken))
        {
            return report;
        }

        if (anchor is { } pruned && first <= pruned.Sequence
            && (await snapshot.ReadFirstAboveAsync(first - 1, cancellationToken) ?? long.MaxValue) > pruned.Sequence)
        {
            // Retention removed the range's beginning (its anchor says how far, and nothing up to it is left): what is
            // left of the range is checked from there.
            report.From = first = pruned.Sequence + 1;
        }

        // A range past the head (a verifier that last checked a head the database has since gone back from, or one a
        // moment ahead of this replica) holds nothing to check: that is not a break.
        if (first <= last && await VerifyRangeAsync(snapshot, head.StreamId, report, epochs, anchor, cancellationToken) is { Break: not null } broken)
        {
            return broken;
        }

        if (to is null && await snapshot.ReadFirstAboveAsync(head.Sequence, cancellationToken) is { } beyond)
        {
            return report.Broken(beyond, "inserted", $"Event {beyond} is stored beyond the stream's head ({head.Sequence}): no commit made it.");
        }

        report = await CheckpointChain.VerifyAsync(snapshot, head, report, keys, options.Value.MaxCheckpointGap, cancellationToken);

        // The signer compared the stored chain with the one this replica delivered: when it refuses, the stored chain was
        // rewritten, even if it is consistent with itself (re-hashed) and no checkpoint left contradicts it.
        return report.Break is null && report.Signer is { State: SignerState.Refusing, Reason: var reason }
            ? report.Broken(head.Sequence, "rewritten", reason ?? "The checkpoint signer refuses to sign the stored chain.")
            : report;
    }

    private async Task<ChainVerification> VerifyRangeAsync(ChainSnapshot snapshot, Guid streamId, ChainVerification report, List<EpochStart> epochs,
        RetentionAnchor? anchor, CancellationToken cancellationToken)
    {
        var (first, last) = (report.From, report.To);
        // The checkpoints about this history (one a restore replaced is not), by the sequence they sign.
        var checkpointAt = (await snapshot.ReadCheckpointsAsync(streamId, first - 1, last, cancellationToken))
            .Where(c => c.IsCurrentIn(epochs)).GroupBy(c => c.Sequence).ToDictionary(g => g.Key, g => g.Last());
        var previous = await StartingHashAsync(snapshot, first, report, epochs, anchor, cancellationToken);
        if (report.Break is not null)
        {
            return report;
        }

        var expected = first;
        var rows = await snapshot.ReadRowsAsync(first - 1, last, PageSize + 1, cancellationToken);
        var skipFirst = rows.Count > 0 && rows[0].Sequence == first - 1;
        var index = skipFirst ? 1 : 0;
        while (expected <= last)
        {
            if (index >= rows.Count)
            {
                if (rows.Count <= (skipFirst ? 1 : 0) || rows[^1].Sequence >= last)
                {
                    return report.Broken(expected, "missing", $"Events {expected}–{last} are not stored, but the stream's head is {report.Head}.");
                }

                rows = await snapshot.ReadRowsAsync(rows[^1].Sequence, last, PageSize + 1, cancellationToken);
                skipFirst = false;
                index = 0;
                continue;
            }

            var row = rows[index];
            if (row.Sequence != expected)
            {
                return report.Broken(expected, "missing",
                    row.Sequence == expected + 1 ? $"Event {expected} is not stored." : $"Events {expected}–{row.Sequence - 1} are not stored.");
            }

            var epoch = EpochOf(epochs, row.Sequence);
            if (row.Hash is null)
            {
                if (previous is null)
                {
                    report.Unchained++;
                    expected++;
                    index++;
                    continue; // stored before the chain began
                }

                return report.Broken(row.Sequence, "inserted", "This row has no hash, but the chain began before it: the chain never had it.");
            }

            previous ??= ChainHash.Genesis.ToArray();
            if (ColumnsDiffer(row) is { } column)
            {
                return report.Broken(row.Sequence, "altered", $"Its {column} column differs from the event as it was committed.");
            }

            var hash = ChainHash.Link(previous, epoch, ChainHash.ServedJson(row.Body, row.Sequence));
            if (!hash.AsSpan().SequenceEqual(row.Hash))
            {
                var next = await NextRowAsync(snapshot, rows, index, last, cancellationToken);
                if (next is not null
                    && ChainHash.Link(previous, epoch, ChainHash.ServedJson(next.Body, row.Sequence)).AsSpan().SequenceEqual(row.Hash))
                {
                    return report.Broken(row.Sequence, "reordered", $"Event {row.Sequence} holds what was committed as event {next.Sequence}'s content, or the two were swapped.");
                }

                return report.Broken(row.Sequence, "altered",
                    "The event differs from what was committed: its hash does not follow from the previous hash and its content.");
            }

            if (checkpointAt.TryGetValue(row.Sequence, out var checkpoint))
            {
                if (!keys.Verifies(checkpoint))
                {
                    return report.Broken(row.Sequence, "altered",
                        $"The checkpoint at {row.Sequence} does not verify with a trusted key ({checkpoint.KeyId}): it was forged or changed.");
                }

                if (!checkpoint.Hash.AsSpan().SequenceEqual(hash))
                {
                    return report.Broken(row.Sequence, "altered",
                        $"The chain up to {row.Sequence} differs from the checkpoint signed at {checkpoint.ToView().SignedAt}: events at or before it were changed and their hashes rewritten.");
                }

                report.CheckpointsVerified++;
                report.Checkpoint = checkpoint.ToView();
            }

            previous = hash;
            report.Checked++;
            report.VerifiedThrough = row.Sequence;
            expected++;
            index++;
        }

        return report;
    }

    /// <summary>
    /// The hash the range starts from: the stored event before it, retention's anchor, the chain's start — or none, when
    /// the range starts among events stored before the chain began (a database upgraded from then, whose oldest events a
    /// retention of that time removed without an anchor): those prove nothing either way.
    /// </summary>
    private async Task<byte[]?> StartingHashAsync(ChainSnapshot snapshot, long first, ChainVerification report, List<EpochStart> epochs,
        RetentionAnchor? anchor, CancellationToken cancellationToken)
    {
        if (first == 1)
        {
            return ChainHash.Genesis.ToArray();
        }

        var before = await snapshot.ReadRowsAsync(first - 2, first - 1, 1, cancellationToken);
        if (before.Count == 1)
        {
            return before[0].Hash; // null: stored before the chain began
        }

        if (anchor is { } pruned && pruned.Sequence == first - 1)
        {
            report.StartsAtRetention = true;
            return pruned.Hash; // checked against its checkpoint above
        }

        // Nothing before the range and no anchor: that is only right where the chain began (its first hash follows
        // from the zero hash) or before it; anywhere else events were removed, and not by retention.
        var start = await snapshot.ReadRowsAsync(first - 1, first, 1, cancellationToken);
        if (start is [{ Hash: null }])
        {
            return null;
        }

        if (start is [{ Hash: { } hash, Body: var body }]
            && ChainHash.Link(ChainHash.Genesis, EpochOf(epochs, first), ChainHash.ServedJson(body, first)).AsSpan().SequenceEqual(hash))
        {
            return ChainHash.Genesis.ToArray();
        }

        report.Broken(first - 1, "missing", $"Event {first - 1} is not stored, and retention did not remove it (its anchor is not there): events before {first} were deleted.");
        return null;
    }

    /// <summary>
    /// Retention's anchor, trusted only where retention could have put it: it removes events up to a checkpoint signed with
    /// a trusted key longer ago than the retention period (<c>bound_to</c>), a batch at a time, so the anchor is at or
    /// before that checkpoint and the chain from it must reach the checkpoint's signed hash (checked with the range).
    /// Anything else is a deletion made to look like retention.
    /// </summary>
    private async Task<bool> AnchorHoldsAsync(ChainSnapshot snapshot, ChainHead head, RetentionAnchor anchor, ChainVerification report,
        CancellationToken cancellationToken)
    {
        var bound = anchor.BoundTo is { } to && to >= anchor.Sequence
            ? (await snapshot.ReadCheckpointsAsync(head.StreamId, to - 1, to, cancellationToken)).FirstOrDefault(keys.Verifies)
            : null;
        if (bound is null || (anchor.Sequence == bound.Sequence && (anchor.Hash is null || !anchor.Hash.AsSpan().SequenceEqual(bound.Hash))))
        {
            report.Broken(anchor.Sequence, "missing",
                $"Events up to {anchor.Sequence} were removed, but the retention anchor names no checkpoint signed with a trusted key that it " +
                "matches: they were deleted, and the anchor written by hand.");
            return false;
        }

        var retention = streamOptions.Value.Retention;
        if (time.GetUtcNow() - bound.SignedAt < retention)
        {
            report.Broken(anchor.Sequence, "missing",
                $"Events up to {anchor.Sequence} were removed, up to the checkpoint at #{bound.Sequence} signed at {bound.ToView().SignedAt}, " +
                $"within the retention period ({retention}): retention would have kept them, so they were deleted.");
            return false;
        }

        return true;
    }

    private static async Task<ChainRow?> NextRowAsync(ChainSnapshot snapshot, List<ChainRow> rows, int index, long last,
        CancellationToken cancellationToken) =>
        index + 1 < rows.Count ? rows[index + 1]
        : (await snapshot.ReadRowsAsync(rows[index].Sequence, last + 1, 1, cancellationToken)).FirstOrDefault();

    /// <summary>
    /// The epoch an event was hashed in: the latest whose hashing had begun before it. That is where the epoch's chain
    /// starts (<see cref="EpochStart.ChainStartsAfter"/>), not where its stream starts: events committed after a
    /// restore but before a replica noticed it belong to the new history, yet were hashed in the old epoch.
    /// </summary>
    internal static long EpochOf(List<EpochStart> epochs, long sequence)
    {
        var epoch = 1L;
        foreach (var start in epochs)
        {
            if (start.ChainStartsAfter < sequence)
            {
                epoch = Math.Max(epoch, start.Epoch);
            }
        }

        return epoch;
    }

    /// <summary>The first filtering column that no longer matches the committed event (its body), if any.</summary>
    private static string? ColumnsDiffer(ChainRow row)
    {
        using var body = JsonDocument.Parse(row.Body);
        var root = body.RootElement;
        string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return Text("id") != row.Id ? "id"
            : Text("type") != row.Type ? "type"
            : Text("agentId") != row.AgentId ? "agent_id"
            : Text("userId") != row.UserId ? "user_id"
            : !root.TryGetProperty("timestamp", out var ts) || !ts.TryGetDateTimeOffset(out var timestamp) || Math.Abs((timestamp - row.Timestamp).Ticks) >= 10 ? "timestamp"
            : null;
    }
}
