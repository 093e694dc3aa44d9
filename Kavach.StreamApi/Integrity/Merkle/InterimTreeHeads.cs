using System.Security.Cryptography;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// TEMPORARY (replaced by the persisted tree builder): the RFC 9162 tree head over what this replica delivered from
/// sequence 1, as a compact range in memory. Knows nothing after a start on a non-empty stream.
/// </summary>
public sealed class InterimTreeHeads : ITreeHeads, IDeliveryObserver
{
    private readonly Lock _gate = new();
    private readonly List<(long Size, byte[] Hash)> _range = []; // perfect subtrees, largest first
    private long _size = -1;

    public Task<byte[]?> RootAtAsync(long size, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (size != _size || size <= 0)
            {
                return Task.FromResult<byte[]?>(null);
            }

            var root = _range[^1].Hash;
            for (var i = _range.Count - 2; i >= 0; i--)
            {
                root = Node(_range[i].Hash, root);
            }

            return Task.FromResult<byte[]?>(root);
        }
    }

    public void Restarted(long epoch, long after)
    {
        lock (_gate)
        {
            if (after == 0)
            {
                _range.Clear();
                _size = 0;
            }
            else if (after != _size)
            {
                _size = -1; // would need the leaves before it
            }
        }
    }

    public void Delivered(long epoch, StoredEvent committed)
    {
        lock (_gate)
        {
            if (_size < 0 || committed.Sequence != _size + 1)
            {
                _size = -1;
                return;
            }

            var served = ChainHash.ServedJson(committed.Body, committed.Sequence);
            var hash = SHA256.HashData([0, .. served]);
            var size = 1L;
            while (_range.Count > 0 && _range[^1].Size == size)
            {
                hash = Node(_range[^1].Hash, hash);
                size *= 2;
                _range.RemoveAt(_range.Count - 1);
            }

            _range.Add((size, hash));
            _size++;
        }
    }

    private static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([1, .. left, .. right]);
}
