using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

public enum Admission
{
    Admitted,
    Full,
    Closed,
}

/// <summary>
/// Counts open streams against <c>MaxConnections</c>. Admission is one atomic increment, so concurrent connects
/// can never overshoot the limit.
/// </summary>
public sealed class StreamAdmission(IOptions<StreamOptions> options)
{
    private readonly int _limit = options.Value.MaxConnections;
    private int _open;
    private volatile bool _closed;

    public int Open => Volatile.Read(ref _open);

    public Admission TryAdmit()
    {
        if (_closed)
        {
            return Admission.Closed;
        }

        if (Interlocked.Increment(ref _open) > _limit)
        {
            Interlocked.Decrement(ref _open);
            return Admission.Full;
        }

        return Admission.Admitted;
    }

    public void Release() => Interlocked.Decrement(ref _open);

    public void Close() => _closed = true;
}
