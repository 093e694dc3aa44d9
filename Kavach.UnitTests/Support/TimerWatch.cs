using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Support;

/// <summary>
/// A fake clock that reports each timer set on it, with its due time: waits are read off the code's own timers
/// rather than measured on a loaded machine's wall clock.
/// </summary>
internal sealed class TimerWatch(FakeTimeProvider clock) : TimeProvider
{
    public Channel<TimeSpan> Created { get; } = Channel.CreateUnbounded<TimeSpan>();

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override long TimestampFrequency => clock.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = clock.CreateTimer(callback, state, dueTime, period);
        Created.Writer.TryWrite(dueTime);
        return timer;
    }
}
