using Kavach.Processes;

namespace Kavach.AttackTests.Harness;

/// <summary>A process's resident memory, sampled every few milliseconds from a baseline on: how far an attack pushed it.</summary>
public sealed class PeakMemory : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peak;

    private PeakMemory(int pid)
    {
        _pid = pid;
        Baseline = ProcessStats.ResidentBytes(pid) ?? throw new InvalidOperationException($"Process {pid} is gone.");
        _peak = Baseline;
        _sampling = Task.Run(SampleAsync);
    }

    public long Baseline { get; }

    public long Peak => Interlocked.Read(ref _peak);

    public long GrowthBytes => Peak - Baseline;

    public double GrowthMiB => GrowthBytes / (1024.0 * 1024);

    public static PeakMemory Watch(int pid) => new(pid);

    /// <summary>
    /// Until the process's resident memory holds still (two reads 100 ms apart within 1 MiB), so a baseline is not taken
    /// in the middle of the growth of whatever ran before; at most <paramref name="bound"/>.
    /// </summary>
    public static async Task SettledAsync(int pid, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        var previous = ProcessStats.ResidentBytes(pid);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            var current = ProcessStats.ResidentBytes(pid);
            if (current is null || (previous is not null && Math.Abs(current.Value - previous.Value) < 1024 * 1024))
            {
                return;
            }

            previous = current;
        }
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (ProcessStats.ResidentBytes(_pid) is { } resident && resident > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, resident);
            }

            try
            {
                await Task.Delay(20, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
