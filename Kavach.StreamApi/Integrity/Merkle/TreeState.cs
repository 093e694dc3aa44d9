using System.Collections.Immutable;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// The tree in a replica's memory: its compact range (so the root at its size costs O(log n)), the leaves of the block
/// being filled, and the blocks not stored yet. The builder's loop alone changes it; anyone reads it through
/// <see cref="Snapshot"/>.
/// </summary>
public sealed class TreeState(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly byte[] _completed = new byte[TreeNode.MaxLevel * MerkleHash.Size];
    private readonly byte[] _building = new byte[TreeBlock.Capacity * MerkleHash.Size];
    private TreeHistory? _history;
    private CompactRange _edge = new();
    private ImmutableList<TreeBlock> _pending = [];
    private int _buildingStored;
    private long? _unstoredSince;

    public long Size
    {
        get
        {
            lock (_gate)
            {
                return _edge.Size;
            }
        }
    }

    public TreeHistory History
    {
        get
        {
            lock (_gate)
            {
                return _history ?? throw new InvalidOperationException("The tree has not started.");
            }
        }
    }

    /// <summary>Starts over at <paramref name="start"/>, in <paramref name="history"/>. Blocks not stored yet stay (each with its epoch).</summary>
    public void Reset(TreeHistory history, TreeStart start)
    {
        lock (_gate)
        {
            _history = history;
            _edge = start.Edge;
            start.Building.CopyTo(_building, 0);
            _buildingStored = (int)(start.Edge.Size % TreeBlock.Capacity); // what it starts from is stored, or absent
            _unstoredSince = null;
        }
    }

    public void Append(ReadOnlySpan<byte> leaf)
    {
        lock (_gate)
        {
            AppendLocked(leaf);
        }
    }

    public void Append(IEnumerable<byte[]> leaves)
    {
        lock (_gate)
        {
            foreach (var leaf in leaves)
            {
                AppendLocked(leaf);
            }
        }
    }

    public TreeView Snapshot()
    {
        lock (_gate)
        {
            var history = _history ?? throw new InvalidOperationException("The tree has not started.");
            return new TreeView(history, _edge.Size, _edge.Root(), BuildingLocked(), _pending);
        }
    }

    /// <summary>Full blocks not stored yet, oldest first, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<TreeBlock> Unstored(int max)
    {
        lock (_gate)
        {
            return [.. _pending.Take(max)];
        }
    }

    /// <summary>
    /// The block being filled, if some of its leaves have waited to be stored longer than <paramref name="after"/>: they
    /// must be stored before retention can remove their events, or a replica starting later could not rebuild them.
    /// </summary>
    public TreeBlock? BuildingDue(TimeSpan after)
    {
        lock (_gate)
        {
            return _unstoredSince is { } since && time.GetElapsedTime(since) >= after ? BuildingLocked() : null;
        }
    }

    public void Stored(IReadOnlyCollection<TreeBlock> blocks)
    {
        lock (_gate)
        {
            _pending = _pending.RemoveAll(blocks.Contains);
            if (blocks.FirstOrDefault(b => !b.IsFull && b.Index == TreeBlock.Of(_edge.Size) && b.LeafCount > _buildingStored) is { } building)
            {
                _buildingStored = building.LeafCount;
                _unstoredSince = building.LeafCount == _edge.Size % TreeBlock.Capacity ? null : time.GetTimestamp();
            }
        }
    }

    private void AppendLocked(ReadOnlySpan<byte> leaf)
    {
        var history = _history ?? throw new InvalidOperationException("The tree has not started.");
        var index = _edge.Size;
        var position = (int)(index % TreeBlock.Capacity);
        leaf.CopyTo(_building.AsSpan(position * MerkleHash.Size));
        var merged = _edge.Append(leaf, _completed);
        _unstoredSince ??= time.GetTimestamp();
        if (position == TreeBlock.Capacity - 1)
        {
            var nodes = _completed.AsSpan((TreeBlock.Height - 1) * MerkleHash.Size, (merged - TreeBlock.Height + 1) * MerkleHash.Size).ToArray();
            var block = new TreeBlock(TreeBlock.Of(index), history.Epoch, TreeBlock.Capacity, [.. _building], nodes);
            if (!_pending.Any(p => p.Index == block.Index && p.Epoch == block.Epoch))
            {
                _pending = _pending.Add(block);
            }

            _buildingStored = 0;
            _unstoredSince = null;
        }
    }

    private TreeBlock? BuildingLocked()
    {
        var count = (int)(_edge.Size % TreeBlock.Capacity);
        return count == 0 ? null
            : new TreeBlock(TreeBlock.Of(_edge.Size), _history!.Epoch, count, _building[..(count * MerkleHash.Size)], []);
    }
}

/// <summary>Where the tree starts over: its compact range and the leaves of the block it is filling.</summary>
public sealed record TreeStart(CompactRange Edge, byte[] Building)
{
    /// <summary>A tree of <paramref name="size"/> leaves from before the tree began (<see cref="MerkleHash.AbsentSubtree"/>).</summary>
    public static TreeStart Absent(long size)
    {
        var edge = CompactRange.From(size, [.. new LeafRange(0, size).Nodes().Select(n => MerkleHash.AbsentSubtree(n.Level).ToArray())]);
        var building = new byte[(int)(size % TreeBlock.Capacity) * MerkleHash.Size];
        for (var i = 0; i < building.Length; i += MerkleHash.Size)
        {
            MerkleHash.AbsentSubtree(0).CopyTo(building.AsSpan(i));
        }

        return new TreeStart(edge, building);
    }
}
