using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

public enum Admission
{
    Admitted,
    Full,
    AddressFull,
    SubjectFull,
    Closed,
}

/// <summary>
/// Counts open streams against <c>MaxConnections</c>, and per client address and per token subject against their
/// own limits, so one client (or one stolen token) cannot take every place. Each check is atomic: concurrent
/// connects never overshoot a limit.
/// </summary>
public sealed class StreamAdmission(IOptions<StreamOptions> options)
{
    private readonly StreamOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _byAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _bySubject = new(StringComparer.Ordinal);
    private int _open;
    private volatile bool _closed;

    public int Open => Volatile.Read(ref _open);

    /// <param name="address">The client's address; null when unknown.</param>
    /// <param name="subject">The token's subject; null when streams are not authenticated.</param>
    public Admission TryAdmit(string? address, string? subject)
    {
        if (_closed)
        {
            return Admission.Closed;
        }

        if (Interlocked.Increment(ref _open) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            return Admission.Full;
        }

        lock (_gate)
        {
            if (!Fits(_byAddress, address, _options.MaxConnectionsPerAddress))
            {
                Interlocked.Decrement(ref _open);
                return Admission.AddressFull;
            }

            if (!Fits(_bySubject, subject, _options.MaxConnectionsPerSubject))
            {
                Interlocked.Decrement(ref _open);
                return Admission.SubjectFull;
            }

            Add(_byAddress, address, _options.MaxConnectionsPerAddress, +1);
            Add(_bySubject, subject, _options.MaxConnectionsPerSubject, +1);
        }

        return Admission.Admitted;
    }

    public void Release(string? address, string? subject)
    {
        lock (_gate)
        {
            Add(_byAddress, address, _options.MaxConnectionsPerAddress, -1);
            Add(_bySubject, subject, _options.MaxConnectionsPerSubject, -1);
        }

        Interlocked.Decrement(ref _open);
    }

    public void Close() => _closed = true;

    private static bool Fits(Dictionary<string, int> counts, string? key, int limit) =>
        key is null || limit == 0 || counts.GetValueOrDefault(key) < limit;

    private static void Add(Dictionary<string, int> counts, string? key, int limit, int delta)
    {
        if (key is null || limit == 0)
        {
            return;
        }

        var count = counts.GetValueOrDefault(key) + delta;
        if (count <= 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = count;
        }
    }
}
