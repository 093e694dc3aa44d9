using System.Diagnostics;
using System.Reflection;

namespace Kavach.FaultTests.Harness;

/// <summary>
/// One Kavach.StreamApi replica: <c>dotnet Kavach.StreamApi.dll</c> from the build output, configured by
/// environment, on a fixed port of 127.0.0.1 that it keeps across restarts. Ready means GET /health answers 200
/// (PostgreSQL, Redis, schema and hub all healthy).
/// </summary>
public sealed class ApiReplica
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _logPath;
    private ChildProcess? _process;
    private int _starts;

    public ApiReplica(int index, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        Index = index;
        Port = FreePort.Next();
        _logPath = Path.Combine(logDirectory, $"replica-{index}.log");
        _environment = new Dictionary<string, string>(environment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
    }

    public int Index { get; }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public bool IsRunning => _process is { HasExited: false };

    public int? Pid => _process?.Pid;

    public string Name => $"replica {Index}";

    /// <summary>Starts the process and waits for /health to answer 200.</summary>
    public async Task<TimeSpan> StartAsync(TimeSpan? timeout = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }

        _starts++;
        var started = Stopwatch.StartNew();
        var assembly = StreamApiAssembly;
        _process = ChildProcess.Start($"replica-{Index}#{_starts}", DotnetHost, [assembly], _environment, _logPath,
            Path.GetDirectoryName(assembly));
        await WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(90));
        return started.Elapsed;
    }

    /// <summary>kill -9.</summary>
    public Task KillAsync() => RequireProcess().KillAsync();

    /// <summary>SIGTERM, then wait for a clean exit; returns how long the shutdown took.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        await RequireProcess().TerminateAsync(timeout);
        return stopwatch.Elapsed;
    }

    public int? ExitCode => _process is { HasExited: true } process ? process.ExitCode : null;

    public string LogTail(int lines = 40) => _process?.LogTail(lines) ?? "(never started)";

    public async Task StopAsync()
    {
        if (IsRunning)
        {
            try
            {
                await _process!.TerminateAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                // TerminateAsync already fell back to SIGKILL.
            }
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        string last = "no answer";
        while (waited.Elapsed < timeout)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) while starting:\n{_process.LogTail()}");
            }

            try
            {
                using var response = await http.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} was not healthy within {timeout} (last: {last}):\n{_process!.LogTail()}");
    }

    private ChildProcess RequireProcess() =>
        _process is { HasExited: false } process ? process : throw new InvalidOperationException($"{Name} is not running.");

    /// <summary>The dotnet host that runs this test host, so the replicas use the same runtime.</summary>
    internal static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

    /// <summary>Kavach.StreamApi.dll of the configuration this suite was built in (recorded by the project file).</summary>
    public static string StreamApiAssembly => RecordedAssembly("StreamApiAssembly");

    /// <summary>Kavach.LoadGen.dll, the load generator the storm runs in its own process.</summary>
    public static string LoadGenAssembly => RecordedAssembly("LoadGenAssembly");

    private static string RecordedAssembly(string key)
    {
        var recorded = typeof(ApiReplica).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value;
        if (string.IsNullOrEmpty(recorded) || !File.Exists(recorded))
        {
            throw new InvalidOperationException(
                $"{key} not found at '{recorded}': build the solution (dotnet build) before running the fault suite.");
        }

        return recorded;
    }
}
