using System.Diagnostics;
using System.Text.Json;
using Kavach.Processes;

namespace Kavach.Benchmarks.Generators;

/// <summary>
/// One Kavach.LoadGen process (benchmarks/Kavach.LoadGen) owned by PID: started with a command line, on the
/// generators' CPU when pinned, with a control directory of its own (it writes <c>ready</c>, the suite writes
/// <c>stop</c>), and read back through the JSON line it prints last.
/// </summary>
public sealed class Generator : IAsyncDisposable
{
    private static string LoadGenAssembly => BuiltAssemblies.Find(typeof(Generator).Assembly, BuiltAssemblies.LoadGen);
    private static int _count;
    private readonly ChildProcess _process;
    private readonly string _control;

    private Generator(string name, ChildProcess process, string control)
    {
        Name = name;
        _process = process;
        _control = control;
    }

    public string Name { get; }

    public int Pid => _process.Pid;

    public bool HasExited => _process.HasExited;

    public static Generator Start(SuiteContext context, string name, string command, IEnumerable<string> arguments) =>
        Start(context.WorkDirectory, context.LogDirectory, context.GeneratorPlacement, name, command, arguments);

    /// <summary>Before the suite's context exists: the cluster starts the OTLP sink this way, ahead of the replicas.</summary>
    public static Generator Start(string workDirectory, string logDirectory, ProcessPlacement? placement, string name, string command,
        IEnumerable<string> arguments)
    {
        var number = Interlocked.Increment(ref _count);
        var control = Path.Combine(workDirectory, "control", $"{number:000}-{name}");
        Directory.CreateDirectory(control);
        var process = ChildProcess.Start($"{name} ({command})", ApiReplica.DotnetHost,
            [LoadGenAssembly, command, .. arguments, "--control", control],
            new Dictionary<string, string> { ["DOTNET_TieredPGO"] = "1" },
            Path.Combine(logDirectory, "generators", $"{number:000}-{name}.log"),
            placement: placement);
        return new Generator(name, process, control);
    }

    /// <summary>What its <c>ready</c> file says (a command's detail: the sink writes its port there).</summary>
    public string ReadyText => File.ReadAllText(Path.Combine(_control, "ready"));

    /// <summary>Waits until it has written <c>ready</c> (all its connections open).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        var ready = Path.Combine(_control, "ready");
        while (!File.Exists(ready))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited before it was ready:\n{_process.LogTail(15)}");
            }

            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0} s:\n{_process.LogTail(15)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Tells it to stop once every subscriber has <paramref name="until"/> (or at once, with -1).</summary>
    public void Stop(long until)
    {
        var temporary = Path.Combine(_control, "stop.tmp");
        File.WriteAllText(temporary, until.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(temporary, Path.Combine(_control, "stop"), overwrite: true);
    }

    /// <summary>Waits for it to exit and returns its summary (the last JSON line it printed).</summary>
    public async Task<JsonElement> ResultAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync(timeout);
        }
        catch (TimeoutException)
        {
            _process.KillNow();
            throw new TimeoutException($"{Name} did not finish within {timeout.TotalSeconds:0} s:\n{_process.LogTail(15)}");
        }

        var line = File.ReadLines(_process.LogPath).LastOrDefault(l => l.StartsWith("{\"command\":", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{Name} printed no summary (exit {_process.ExitCode}):\n{_process.LogTail(15)}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.KillNow();
        }

        return ValueTask.CompletedTask;
    }
}
