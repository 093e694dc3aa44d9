using System.Diagnostics;
using Kavach.Processes;

namespace Kavach.Benchmarks.Cluster;

/// <summary>The raw-Kestrel floor (benchmarks/Kavach.Floor) as a process on a fixed port of 127.0.0.1.</summary>
public sealed class FloorServer(string assembly, string logDirectory, ProcessPlacement? placement)
{
    private ChildProcess? _process;
    private int _starts;

    public int Port { get; } = FreePort.Next();

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public int? Pid => _process?.Pid;

    public async Task StartAsync()
    {
        _starts++;
        _process = ChildProcess.Start($"floor#{_starts}", ApiReplica.DotnetHost, [assembly],
            new Dictionary<string, string> { ["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/') },
            Path.Combine(logDirectory, "floor.log"), Path.GetDirectoryName(assembly), placement);
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The floor exited while starting:\n{_process.LogTail()}");
            }

            try
            {
                using var response = await http.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
            }

            await Task.Delay(100);
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            try
            {
                await process.TerminateAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
            }
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }
}
