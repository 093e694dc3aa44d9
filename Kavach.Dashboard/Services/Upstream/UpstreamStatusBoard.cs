namespace Kavach.Dashboard.Services.Upstream;

/// <summary>
/// How the console's connection to the stream API stands, as the status bar shows it. Its writers each keep one part
/// up to date: the stream client (connection, heartbeat, errors, resyncs), the token provider (scopes) and the
/// connections watcher (the API's count). Apart from <c>EventFeed</c>, which holds what arrived, not how the
/// connection is.
/// </summary>
public sealed class UpstreamStatusBoard
{
    private readonly Lock _gate = new();
    private UpstreamStatus _current = new();

    public UpstreamStatus Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Raised on the writer's thread after each update that changed the status.</summary>
    public event Action? Changed;

    public void Update(Func<UpstreamStatus, UpstreamStatus> change)
    {
        bool changed;
        lock (_gate)
        {
            var next = change(_current);
            changed = next != _current;
            _current = next;
        }

        if (changed)
        {
            Changed?.Invoke();
        }
    }
}
