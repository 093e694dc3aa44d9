namespace Kavach.Dashboard.Services.Replay;

/// <summary>
/// The time a replay has reached in the window it plays: it starts at the window's start and moves at the speed's factor
/// while playing, stands still while paused, and a change of speed goes on from where it is. Read from an injected
/// <see cref="TimeProvider"/>, so pacing is testable without waiting.
/// </summary>
public sealed class ReplayClock(TimeProvider time, DateTimeOffset windowStart, ReplaySpeed speed)
{
    private DateTimeOffset _anchor = windowStart;
    private long _anchorWall = time.GetTimestamp();

    public ReplaySpeed Speed { get; private set; } = speed;

    public bool IsPaused { get; private set; }

    /// <summary>The window's time the replay has reached (for an unpaced replay, the last event shown).</summary>
    public DateTimeOffset Now => IsPaused || Speed.IsUnpaced
        ? _anchor
        : _anchor + (time.GetElapsedTime(_anchorWall) * Speed.Factor);

    /// <summary>How long to wait, at the current speed, until <paramref name="eventTime"/> is reached; zero when it is.</summary>
    public TimeSpan Until(DateTimeOffset eventTime)
    {
        if (Speed.IsUnpaced)
        {
            return TimeSpan.Zero;
        }

        var ahead = eventTime - Now;
        return ahead <= TimeSpan.Zero ? TimeSpan.Zero : ahead / Speed.Factor;
    }

    /// <summary>An event at <paramref name="eventTime"/> was shown: an unpaced replay's time is the last event's.</summary>
    public void Reached(DateTimeOffset eventTime)
    {
        if (Speed.IsUnpaced && eventTime > _anchor)
        {
            _anchor = eventTime;
        }
    }

    public void Pause()
    {
        Rebase();
        IsPaused = true;
    }

    public void Resume()
    {
        Rebase();
        IsPaused = false;
    }

    public void Change(ReplaySpeed speed)
    {
        Rebase();
        Speed = speed;
    }

    private void Rebase()
    {
        _anchor = Now;
        _anchorWall = time.GetTimestamp();
    }
}
