using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Kavach.Processes;

/// <summary>
/// A throw-away Azurite Blob service (Microsoft's Azure Storage emulator, npm <c>azurite</c>) on 127.0.0.1: the
/// checkpoint witness the replicas write to. One account, <see cref="AccountName"/>, with a key made for the run (the
/// well-known development account is off); its data in a temporary directory.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    public const string AccountName = "kavach";

    /// <summary>Where <c>npm ci --prefix tools/azurite</c> (scripts/test.sh) puts the binary, from the repository root.</summary>
    public const string RepositoryBinary = "tools/azurite/node_modules/.bin/azurite-blob";

    private readonly string _binary;
    private readonly string _dataDirectory;
    private readonly string _logPath;
    private ChildProcess? _process;

    private AzuriteServer(string binary, string dataDirectory, string logPath)
    {
        _binary = binary;
        _dataDirectory = dataDirectory;
        _logPath = logPath;
        Port = FreePort.Next();
        AccountKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    }

    public int Port { get; }

    public string AccountKey { get; }

    /// <summary>Azure Storage format, as the API reads <c>ConnectionStrings:witness</c>.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/{AccountName};";

    public bool IsRunning => _process is { HasExited: false };

    public int? Pid => _process?.Pid;

    public static async Task<AzuriteServer> CreateAsync(string workDirectory, string logDirectory)
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(
            $"azurite-blob not found: run 'npm ci --prefix tools/azurite' in the repository (scripts/test.sh does), put azurite-blob on PATH, " +
            "or set KAVACH_AZURITE_BLOB. It needs node on PATH.");
        var data = Path.Combine(workDirectory, "azurite");
        Directory.CreateDirectory(data);
        var server = new AzuriteServer(binary, data, Path.Combine(logDirectory, "azurite.log"));
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("Azurite is already running.");
        }

        _process = ChildProcess.Start("azurite", _binary,
            ["--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", _dataDirectory,
             "--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry", "--silent"],
            new Dictionary<string, string> { ["AZURITE_ACCOUNTS"] = $"{AccountName}:{AccountKey}" }, _logPath);
        var started = Stopwatch.StartNew();
        while (!await AnswersAsync())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited while starting:\n{_process.LogTail()}");
            }

            if (started.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Azurite did not listen on {Port} within 30 s:\n{_process.LogTail()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>SIGTERM: Azurite closes and exits (it does only with telemetry off).</summary>
    public Task TerminateAsync() => (_process ?? throw new InvalidOperationException("Azurite is not running.")).TerminateAsync(TimeSpan.FromSeconds(10));

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            await _process!.KillAsync();
        }
    }

    /// <summary>
    /// <c>KAVACH_AZURITE_BLOB</c>, else the repository's <see cref="RepositoryBinary"/> (looked for above this assembly),
    /// else <c>azurite-blob</c> on PATH; null when there is none, or no node to run it.
    /// </summary>
    public static string? FindBinary()
    {
        if (Environment.GetEnvironmentVariable("KAVACH_AZURITE_BLOB") is { Length: > 0 } configured)
        {
            return configured;
        }

        if (OnPath("node") is null)
        {
            return null;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, RepositoryBinary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return OnPath("azurite-blob");
    }

    private static string? OnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => Path.Combine(d, name))
        .FirstOrDefault(File.Exists);

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
