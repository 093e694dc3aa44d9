using Kavach.Processes;
using Npgsql;

namespace Kavach.Benchmarks.Cluster;

/// <summary>
/// CPU time of the PostgreSQL backends that serve one kind of session (<c>application_name</c>) of one database, from
/// /proc: what PostgreSQL spends on exactly those statements. Sampled every 200 ms, so a backend that comes or goes
/// during the stretch counts too.
/// </summary>
public sealed class BackendCpu : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _database;
    private readonly string _applicationName;
    private readonly Dictionary<int, (TimeSpan First, TimeSpan Last)> _backends = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _sampling;

    private BackendCpu(string connectionString, string database, string applicationName)
    {
        _connectionString = connectionString;
        _database = database;
        _applicationName = applicationName;
    }

    public static async Task<BackendCpu> StartAsync(string connectionString, string database, string applicationName)
    {
        var meter = new BackendCpu(connectionString, database, applicationName);
        await meter.SampleAsync(firstSample: true);
        meter._sampling = meter.SampleLoopAsync();
        return meter;
    }

    /// <summary>Stops sampling; the CPU seconds those backends used since the start.</summary>
    public async Task<(double Seconds, int Backends)> StopAsync()
    {
        await _stop.CancelAsync();
        await (_sampling ?? Task.CompletedTask);
        await SampleAsync(firstSample: false);
        return (_backends.Values.Sum(b => (b.Last - b.First).TotalSeconds), _backends.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await (_sampling ?? Task.CompletedTask);
        _stop.Dispose();
    }

    private async Task SampleLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(200, _stop.Token);
                await SampleAsync(firstSample: false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A backend seen after the start began during the stretch: all its time counts.</summary>
    private async Task SampleAsync(bool firstSample)
    {
        await using var connection = new NpgsqlConnection(_connectionString + ";Pooling=false;Timeout=5");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2", connection)
        {
            Parameters = { new() { Value = _database }, new() { Value = _applicationName } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var pid = reader.GetInt32(0);
            var now = ProcessStats.CpuTime(pid);
            _backends[pid] = _backends.TryGetValue(pid, out var seen) ? (seen.First, now > seen.Last ? now : seen.Last)
                : (firstSample ? now : TimeSpan.Zero, now);
        }
    }
}
