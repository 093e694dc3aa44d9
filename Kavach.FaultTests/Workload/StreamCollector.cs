using Kavach.Client;
using Kavach.Contracts;

namespace Kavach.FaultTests.Workload;

/// <summary>
/// Enumerates a <see cref="KavachStream"/> in the background as an application would, keeping everything it was
/// given in order: events (with their positions) and signals. How the enumeration ended is <see cref="Ended"/>.
/// </summary>
public sealed class StreamCollector
{
    private readonly Lock _gate = new();
    private readonly List<StreamItem> _items = [];

    public StreamCollector(KavachStream stream, CancellationToken stop)
    {
        Stream = stream;
        Ended = Task.Run(async () =>
        {
            await foreach (var item in stream.WithCancellation(stop))
            {
                lock (_gate)
                {
                    _items.Add(item);
                }
            }
        }, CancellationToken.None);
    }

    public KavachStream Stream { get; }

    /// <summary>Faults with the enumeration's exception; cancelled when stopped.</summary>
    public Task Ended { get; }

    public IReadOnlyList<StreamItem> Items
    {
        get
        {
            lock (_gate)
            {
                return [.. _items];
            }
        }
    }

    public IReadOnlyList<KavachEvent> Events => [.. Items.OfType<KavachEvent>()];

    public int Count<T>() where T : StreamItem => Items.OfType<T>().Count();

    /// <summary>Waits until <paramref name="done"/> holds; fails with what was collected when it does not in time.</summary>
    public async Task WaitUntilAsync(Func<StreamCollector, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(this))
        {
            if (Ended.IsCompleted)
            {
                await Ended; // surfaces the enumeration's exception
                Assert.Fail($"The stream ended before {what}.");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not {what} within {timeout}: {Events.Count} events, last at {Stream.Cursor}, {Stream.Reconnects} reconnects, last disconnect: {Stream.LastDisconnectReason}.");
            }

            await Task.Delay(100);
        }
    }
}
