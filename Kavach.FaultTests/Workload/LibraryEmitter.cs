using Kavach.Client;
using Kavach.Contracts;

namespace Kavach.FaultTests.Workload;

/// <summary>
/// Emits small batches through <see cref="KavachClient.EmitBatchAsync"/> until stopped (between batches, never
/// during one), at a pace.
/// A batch that still fails after the client's own retries (every replica down for a while) is counted and
/// dropped: the checks compare deliveries with what PostgreSQL committed, not with what was sent.
/// </summary>
public sealed class LibraryEmitter
{
    private long _acked;
    private long _failed;

    public LibraryEmitter(KavachClient client, string agentId, TimeSpan pace, CancellationToken stop)
    {
        Running = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                NewEvent[] batch = [.. Enumerable.Range(0, 5).Select(i => new NewEvent(
                    KavachEventTypes.All[(n + i) % KavachEventTypes.All.Count], new { n = n + i }, agentId))];
                n += batch.Length;
                try
                {
                    // Not cancelled by stop: an emit the server has started commits anyway, after the test read the head.
                    var emitted = await client.EmitBatchAsync(batch, CancellationToken.None);
                    Interlocked.Add(ref _acked, emitted.Count);
                }
                catch (KavachUnavailableException)
                {
                    Interlocked.Add(ref _failed, batch.Length);
                }

                try
                {
                    await Task.Delay(pace, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }, CancellationToken.None);
    }

    public Task Running { get; }

    public long Acked => Interlocked.Read(ref _acked);

    public long Failed => Interlocked.Read(ref _failed);
}
