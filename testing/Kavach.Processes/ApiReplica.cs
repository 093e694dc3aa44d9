using System.Diagnostics;

namespace Kavach.Processes;

/// <summary>
/// One Kavach.StreamApi replica: <c>dotnet Kavach.StreamApi.dll</c> from a build output, configured by
/// environment, on a fixed port of 127.0.0.1 that it keeps across restarts. Ready means GET /health answers 200
/// (PostgreSQL, Redis, schema and hub all healthy).
/// </summary>
public sealed class ApiReplica
{
    private readonly string _assembly;
    private readonly Dictionary<string, string> _environment;
    private readonly string _logPath;
    private readonly string _label;
    private readonly ProcessPlacement? _placement;
    private ChildProcess? _process;
    private int _starts;

    /// <param name="index">Its number in its set; with <paramref name="label"/> it names the replica and its log file.</param>
    /// <param name="assembly">The Kavach.StreamApi.dll to run (see <see cref="BuiltAssemblies"/>), or another build's.</param>
    public ApiReplica(int index, string assembly, IReadOnlyDictionary<string, string> environment, string logDirectory,
        string label = "replica", ProcessPlacement? placement = null)
    {
        Index = index;
        Port = FreePort.Next();
        _assembly = assembly;
        _label = label;
        _placement = placement;
        _logPath = Path.Combine(logDirectory, $"{label}-{index}.log");
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

    public string Name => $"{_label.Replace('-', ' ')} {Index}";

    /// <summary>Sets one variable of its environment (null removes it) for its next start.</summary>
    public void SetEnvironment(string key, string? value)
    {
        if (value is null)
        {
            _environment.Remove(key);
        }
        else
        {
            _environment[key] = value;
        }
    }

    /// <summary>Starts the process and waits for /health to answer 200.</summary>
    public async Task<TimeSpan> StartAsync(TimeSpan? timeout = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }

        _starts++;
        var started = Stopwatch.StartNew();
        _process = ChildProcess.Start($"{_label}-{Index}#{_starts}", DotnetHost, [_assembly], _environment, _logPath,
            Path.GetDirectoryName(_assembly), _placement);
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

    /// <summary>The dotnet host that runs this process, so the replicas use the same runtime.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";
}
