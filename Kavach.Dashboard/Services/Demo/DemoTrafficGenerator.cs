using Kavach.Client;

namespace Kavach.Dashboard.Services.Demo;

/// <summary>
/// Development-only: emits <see cref="DemoScenario"/> stories through the real emit API (Kavach.Client: ids set by
/// the client, so a retried batch is stored once), a few interleaved
/// stories at a time, until stopped or the requested duration has passed.
/// </summary>
public sealed partial class DemoTrafficGenerator(IServiceScopeFactory scopes, TimeProvider time, ILogger<DemoTrafficGenerator> logger) : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private const int ConcurrentStories = 3;

    private readonly Lock _gate = new();
    private CancellationTokenSource? _run;
    private int _storyNumber;
    private long _emitted;

    public event Action? Changed;

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _run is not null;
            }
        }
    }

    public long Emitted => Interlocked.Read(ref _emitted);

    public string? LastError { get; private set; }

    public void Start(TimeSpan duration)
    {
        CancellationTokenSource run;
        lock (_gate)
        {
            if (_run is not null)
            {
                return;
            }

            run = _run = new CancellationTokenSource(duration, time);
            LastError = null;
        }

        _ = Task.Run(() => RunAsync(run));
        Changed?.Invoke();
    }

    public void Stop()
    {
        lock (_gate)
        {
            _run?.Cancel();
        }
    }

    public void Dispose() => Stop();

    private async Task RunAsync(CancellationTokenSource run)
    {
        var random = new Random();
        var stories = new List<Queue<NewEvent>>();
        try
        {
            using var scope = scopes.CreateScope();
            var api = scope.ServiceProvider.GetRequiredService<KavachClient>();
            while (!run.IsCancellationRequested)
            {
                while (stories.Count < ConcurrentStories)
                {
                    stories.Add(new Queue<NewEvent>(DemoScenario.Story(Interlocked.Increment(ref _storyNumber), random)));
                }

                var batch = new List<NewEvent>();
                foreach (var story in stories)
                {
                    // Stories advance at different speeds so their events interleave like real traffic.
                    if (random.NextDouble() < 0.7 && story.TryDequeue(out var next))
                    {
                        batch.Add(next);
                    }
                }

                stories.RemoveAll(s => s.Count == 0);
                if (batch.Count > 0)
                {
                    await api.EmitBatchAsync(batch, run.Token);
                    Interlocked.Add(ref _emitted, batch.Count);
                    Changed?.Invoke();
                }

                await Task.Delay(Tick, time, run.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is KavachException or HttpRequestException)
        {
            LastError = e.Message;
            LogEmitFailed(logger, e.Message);
        }
        finally
        {
            lock (_gate)
            {
                _run = null;
            }

            run.Dispose();
            Changed?.Invoke();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo traffic stopped: {Error}")]
    private static partial void LogEmitFailed(ILogger logger, string error);
}
