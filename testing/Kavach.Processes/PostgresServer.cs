using System.Diagnostics;
using Npgsql;

namespace Kavach.Processes;

/// <summary>
/// A throw-away PostgreSQL on 127.0.0.1: initdb into a temporary directory, then the postmaster as a child
/// process. As root it runs as the <c>postgres</c> OS user (PostgreSQL refuses root) through setpriv, which execs
/// it, so the PID held here is the postmaster's and signals reach it directly. It can stop fast (SIGINT) or
/// immediately (SIGQUIT, as <c>pg_ctl stop -m immediate</c>), start again on the same data and port, and copy its
/// data directory aside while stopped to put that older copy back later.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Database = "kavachdb";
    private const string User = "postgres";

    /// <summary>The service's own role, which <see cref="MigrateStep"/> creates: it adds and reads events, never changes or deletes them.</summary>
    public const string AppRole = "kavach_app";

    private readonly string _binDirectory;
    private readonly string _root;
    private readonly string _logPath;
    private readonly ProcessPlacement? _placement;
    private ChildProcess? _postmaster;
    private int _starts;

    private PostgresServer(string binDirectory, string root, string logPath, ProcessPlacement? placement)
    {
        _binDirectory = binDirectory;
        _root = root;
        _logPath = logPath;
        _placement = placement;
        Port = FreePort.Next();
        Password = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        AppPassword = Convert.ToHexString(Guid.NewGuid().ToByteArray());
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>The password <see cref="MigrateStep"/> gives <see cref="AppRole"/>.</summary>
    public string AppPassword { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    public bool IsRunning => _postmaster is { HasExited: false };

    /// <summary>The postmaster's PID (its backends are its children).</summary>
    public int? Pid => _postmaster?.Pid;

    /// <summary>The superuser's: the owner's in the migrate step, and a database writer's in attacks and checks.</summary>
    public string ConnectionString => ConnectionStringFor(Database);

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>The service role's, as the replicas get it once <see cref="MigrateStep"/> has run on the database.</summary>
    public string AppConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = AppRole,
        Password = AppPassword,
        Database = database,
    }.ConnectionString;

    /// <summary>initdb, start, and create <see cref="Database"/>. Durability is PostgreSQL's default (fsync and synchronous_commit on).</summary>
    public static async Task<PostgresServer> CreateAsync(string workDirectory, string logDirectory, ProcessPlacement? placement = null)
    {
        var bin = FindBinDirectory();
        var root = Path.Combine(workDirectory, "postgres");
        Directory.CreateDirectory(root);
        var server = new PostgresServer(bin, root, Path.Combine(logDirectory, "postgres.log"), placement);
        await server.InitializeAsync();
        await server.StartAsync();
        await server.CreateDatabaseAsync(Database);
        return server;
    }

    /// <summary>Another database on the same server (another set of replicas keeps its own stream there).</summary>
    public async Task CreateDatabaseAsync(string name)
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
        await create.ExecuteNonQueryAsync();
    }

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("PostgreSQL is already running.");
        }

        _starts++;
        var started = Stopwatch.StartNew();
        _postmaster = ChildProcess.Start($"postgres#{_starts}", AsOwnerProgram,
            AsOwnerArguments([Path.Combine(_binDirectory, "postgres"), "-D", DataDirectory,
                "-c", "listen_addresses=127.0.0.1", "-c", $"port={Port}", "-c", "unix_socket_directories=",
                "-c", "max_connections=300", "-c", "log_min_messages=warning", .. ExtraSettings()]),
            new Dictionary<string, string>(), _logPath, _root, _placement);

        // Ready = accepts a query on the database (after crash recovery, when it has to run one).
        var deadline = timeout ?? TimeSpan.FromSeconds(60);
        var connect = _starts == 1 ? AdminConnectionString : ConnectionString;
        while (true)
        {
            if (_postmaster.HasExited)
            {
                throw new InvalidOperationException($"PostgreSQL exited while starting:\n{_postmaster.LogTail()}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(connect + ";Timeout=2;Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (started.Elapsed < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>SIGQUIT: every backend dies at once, no checkpoint; the next start runs crash recovery.</summary>
    public Task StopImmediateAsync() => RequireRunning().QuitAsync(TimeSpan.FromSeconds(30));

    /// <summary>SIGINT: PostgreSQL's fast shutdown (abort transactions, checkpoint, exit).</summary>
    public Task StopFastAsync() => RequireRunning().InterruptAsync(TimeSpan.FromSeconds(30));

    /// <summary>A file-level copy of the stopped data directory, to put back with <see cref="RestoreSnapshotAsync"/>.</summary>
    public async Task<string> TakeSnapshotAsync(string name)
    {
        RequireStopped();
        var snapshot = Path.Combine(_root, "snapshot-" + name);
        await RunAsync("cp", ["-a", DataDirectory, snapshot]);
        return snapshot;
    }

    public async Task RestoreSnapshotAsync(string snapshot)
    {
        RequireStopped();
        await RunAsync("rm", ["-rf", DataDirectory]);
        await RunAsync("cp", ["-a", snapshot, DataDirectory]);
    }

    public NpgsqlConnection OpenConnection()
    {
        var connection = new NpgsqlConnection(ConnectionString + ";Timeout=5;Command Timeout=30;Pooling=false");
        connection.Open();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            try
            {
                await _postmaster!.QuitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                // QuitAsync already fell back to SIGKILL.
            }
        }

        try
        {
            await RunAsync("rm", ["-rf", _root]);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Password = Password,
        Database = "postgres",
    }.ConnectionString;

    private static bool IsRoot => Posix.IsRoot;

    private static string AsOwnerProgram => IsRoot ? "setpriv" : "env";

    /// <summary>
    /// More <c>-c name=value</c> settings from <c>KAVACH_PG_SETTINGS</c> (space-separated), e.g. to profile with
    /// <c>shared_preload_libraries=pg_stat_statements</c>.
    /// </summary>
    private static IEnumerable<string> ExtraSettings() =>
        (Environment.GetEnvironmentVariable("KAVACH_PG_SETTINGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(setting => new[] { "-c", setting });

    private static List<string> AsOwnerArguments(IEnumerable<string> command) =>
        IsRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", .. command] : [.. command];

    private async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        var passwordFile = Path.Combine(_root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        if (IsRoot)
        {
            // The postgres user must reach the directory and own the data.
            File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            await RunAsync("chown", ["postgres:postgres", DataDirectory, passwordFile]);
        }

        var initdb = ChildProcess.Start("initdb", AsOwnerProgram,
            AsOwnerArguments([Path.Combine(_binDirectory, "initdb"), "-D", DataDirectory, "-U", User,
                $"--pwfile={passwordFile}", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                "--encoding=UTF8", "--no-instructions", "--no-sync"]),
            new Dictionary<string, string>(), _logPath, _root);
        await initdb.WaitForExitAsync(TimeSpan.FromSeconds(60));
        File.Delete(passwordFile);
        if (initdb.ExitCode != 0)
        {
            throw new InvalidOperationException($"initdb failed ({initdb.ExitCode}):\n{initdb.LogTail()}");
        }
    }

    private ChildProcess RequireRunning() =>
        _postmaster is { HasExited: false } postmaster ? postmaster : throw new InvalidOperationException("PostgreSQL is not running.");

    private void RequireStopped()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("Stop PostgreSQL first: a file-level copy of a running cluster is not consistent.");
        }
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', info.ArgumentList)} failed: {error}");
        }
    }

    /// <summary>KAVACH_FAULT_PG_BIN, else initdb and postgres on PATH, else the newest /usr/lib/postgresql/N/bin.</summary>
    public static string FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("KAVACH_FAULT_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")));
        if (onPath is not null)
        {
            return onPath;
        }

        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return installed ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found: install them (apt-get install postgresql) or set KAVACH_FAULT_PG_BIN.");
    }
}
