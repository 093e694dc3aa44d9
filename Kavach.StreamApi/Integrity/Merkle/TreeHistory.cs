using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// Which stored parts of the tree belong to the current history. Something built in epoch e (a block, a signed tree
/// head) covers leaves below some end; it holds now if that end is at most the lowest <c>starts_after</c> of every epoch
/// after e, up to the current one: each of those replaced the sequences after its start. Nothing of an epoch above the
/// current one holds (no replica wrote it; a database writer did). Also where the tree begins
/// (<see cref="StartsAfter"/>: leaves up to there are absent, see <see cref="MerkleHash.AbsentSubtree"/>).
/// </summary>
public sealed class TreeHistory
{
    private readonly Dictionary<long, long> _validEnd;
    private readonly IReadOnlyList<EpochStart> _epochs;

    public TreeHistory(long epoch, long startsAfter, IReadOnlyList<EpochStart> epochs)
    {
        Epoch = epoch;
        StartsAfter = startsAfter;
        _epochs = epochs;
        _validEnd = new Dictionary<long, long> { [epoch] = long.MaxValue };
        foreach (var e in epochs.Where(e => e.Epoch < epoch))
        {
            _validEnd[e.Epoch] = epochs.Where(later => later.Epoch > e.Epoch && later.Epoch <= epoch)
                .Select(later => later.StartsAfter).DefaultIfEmpty(long.MaxValue).Min();
        }
    }

    /// <summary>The epoch of the history the tree follows.</summary>
    public long Epoch { get; }

    /// <summary>The last sequence before the tree began: its leaves before that are absent.</summary>
    public long StartsAfter { get; }

    /// <summary>How many leaves of what was built in <paramref name="epoch"/> still hold: all (<see cref="long.MaxValue"/>) for the current epoch.</summary>
    public long ValidEnd(long epoch) => _validEnd.GetValueOrDefault(epoch);

    public bool Holds(long epoch, long end) => end <= ValidEnd(epoch);

    /// <summary>Whether <paramref name="epoch"/> is the current one or one before it that this stream had.</summary>
    public bool Knows(long epoch) => _validEnd.ContainsKey(epoch);

    /// <summary>The same tree seen from the history of another epoch (the one a hub delivers, when the database is already past it).</summary>
    public TreeHistory In(long epoch) => new(epoch, StartsAfter, _epochs);

    /// <summary>Every epoch with what holds of it, for a query to filter stored rows by.</summary>
    public (long[] Epochs, long[] ValidEnds) Table() => ([.. _validEnd.Keys], [.. _validEnd.Values]);
}
