using System.Collections.Concurrent;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Integrity.Merkle;
using Kavach.StreamApi.Persistence;

namespace Kavach.UnitTests.Support;

/// <summary>
/// <see cref="ITreeStore"/> in memory, with the same rules as <c>TreeStore</c>'s SQL: rows are never overwritten, a row
/// serves the current history only as far as its epoch still holds. The events and epochs are the test's to change, as a
/// database writer or a restore would.
/// </summary>
internal sealed class FakeTreeStore(long startsAfter = 0) : ITreeStore
{
    private readonly Lock _gate = new();

    public ConcurrentDictionary<long, StoredEvent> Events { get; } = new();

    public List<TreeBlock> Rows { get; } = [];

    public List<EpochStart> Epochs { get; } = [new(1, 0, 0)];

    public List<SignedTreeHead> SignedHeads { get; } = [];

    public long Epoch { get; set; } = 1;

    /// <summary>How many events the tree read back from "PostgreSQL".</summary>
    public int LeavesRead;

    public Task<TreeHistory> ReadHistoryAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new TreeHistory(Epoch, startsAfter, [.. Epochs]));
        }
    }

    public Task<long> ReadEpochAsync(CancellationToken cancellationToken) => Task.FromResult(Epoch);

    public Task<List<TreeBlock>> ReadBlocksAsync(IReadOnlyCollection<BlockWant> wants, TreeHistory history, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(wants
                .Select(w => Rows.Where(r => r.Index == w.Block && r.LeafCount >= w.MinLeaves && history.Knows(r.Epoch)
                        && r.Start + w.MinLeaves <= history.ValidEnd(r.Epoch))
                    .OrderByDescending(r => r.LeafCount).ThenByDescending(r => r.Epoch)
                    .Select(r => new TreeBlock(r.Index, r.Epoch, r.LeafCount, w.Leaves ? r.Leaves : null, r.Nodes))
                    .FirstOrDefault())
                .OfType<TreeBlock>().ToList());
        }
    }

    public Task<TreeBlock?> ReadNewestAsync(long upTo, TreeHistory history, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var newest = Rows.Where(r => history.Knows(r.Epoch) && r.Start < Math.Min(upTo, history.ValidEnd(r.Epoch)))
                .Select(r => (Row: r, Valid: (int)(Math.Min(Math.Min(r.End, upTo), history.ValidEnd(r.Epoch)) - r.Start)))
                .OrderByDescending(r => r.Row.Index).ThenByDescending(r => r.Valid).FirstOrDefault();
            return Task.FromResult(newest.Row is null ? null
                : newest.Valid == newest.Row.LeafCount ? newest.Row
                : new TreeBlock(newest.Row.Index, newest.Row.Epoch, newest.Valid, newest.Row.Leaves![..(newest.Valid * 32)], []));
        }
    }

    public Task<SignedTreeHead?> ReadSignedHeadAsync(long upTo, TreeHistory history, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(SignedHeads.Where(h => history.Knows(h.Epoch) && h.TreeSize <= Math.Min(upTo, history.ValidEnd(h.Epoch)))
                .OrderByDescending(h => h.Epoch).ThenByDescending(h => h.Sequence).FirstOrDefault());
        }
    }

    public Task<List<TreeBlock>> WriteAsync(IReadOnlyList<TreeBlock> blocks, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var differing = new List<TreeBlock>();
            foreach (var block in blocks)
            {
                if (Rows.FirstOrDefault(r => r.Index == block.Index && r.Epoch == block.Epoch && r.LeafCount == block.LeafCount) is { } stored)
                {
                    if (!stored.SameHashesAs(block))
                    {
                        differing.Add(stored);
                    }
                }
                else
                {
                    Rows.Add(block);
                }
            }

            return Task.FromResult(differing);
        }
    }

    public Task<List<(long Sequence, byte[] Leaf)>> ReadLeavesAsync(long after, long upTo, int limit, CancellationToken cancellationToken)
    {
        var leaves = Events.Values.Where(e => e.Sequence > after && e.Sequence <= upTo).OrderBy(e => e.Sequence).Take(limit)
            .Select(e =>
            {
                var leaf = new byte[32];
                MerkleHash.Event(e, leaf);
                return (e.Sequence, leaf);
            }).ToList();
        Interlocked.Add(ref LeavesRead, leaves.Count);
        return Task.FromResult(leaves);
    }

    /// <summary>A database writer's change to a stored row, in place.</summary>
    public void Replace(TreeBlock stored, TreeBlock forged)
    {
        lock (_gate)
        {
            Rows[Rows.IndexOf(stored)] = forged;
        }
    }

    public List<TreeBlock> RowsNow()
    {
        lock (_gate)
        {
            return [.. Rows];
        }
    }
}
