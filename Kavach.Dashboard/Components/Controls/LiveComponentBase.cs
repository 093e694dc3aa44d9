using Kavach.Dashboard.Services.Feed;
using Microsoft.AspNetCore.Components;

namespace Kavach.Dashboard.Components.Controls;

/// <summary>
/// A component that shows the shared feed. It renders from a snapshot and, once interactive, watches the feed and
/// re-renders at most every <see cref="BatchInterval"/>: thousands of events a second become ten renders.
/// </summary>
public abstract class LiveComponentBase : ComponentBase, IDisposable
{
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource _stop = new();

    [Inject]
    protected EventFeed Feed { get; set; } = default!;

    protected FeedSnapshot Snapshot { get; private set; } = default!;

    protected override void OnInitialized()
    {
        Snapshot = Feed.Snapshot();
        OnFeedChanged(Snapshot);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        // Only after the first interactive render: prerendering must not leave a watcher behind.
        if (firstRender)
        {
            _ = WatchAsync(_stop.Token);
        }
    }

    /// <summary>Called on the renderer's thread with each new snapshot, before rendering.</summary>
    protected virtual void OnFeedChanged(FeedSnapshot snapshot)
    {
    }

    protected void RefreshFromFeed()
    {
        Snapshot = Feed.Snapshot();
        OnFeedChanged(Snapshot);
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in Feed.WatchAsync(cancellationToken))
            {
                await Task.Delay(BatchInterval, cancellationToken);
                await InvokeAsync(() =>
                {
                    RefreshFromFeed();
                    StateHasChanged();
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
