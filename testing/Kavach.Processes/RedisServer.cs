using System.Diagnostics;
using StackExchange.Redis;

namespace Kavach.Processes;

/// <summary>
/// A throw-away redis-server on 127.0.0.1 with a password and no persistence (it carries only live fan-out), that
/// can die (SIGKILL) and come back on the same port. An admin connection publishes arbitrary messages, lists the
/// channels that have subscribers and cuts pub/sub clients off.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _binary;
    private readonly string _configPath;
    private readonly string _logPath;
    private readonly ProcessPlacement? _placement;
    private ChildProcess? _process;
    private ConnectionMultiplexer? _admin;
    private int _starts;

    private RedisServer(string binary, string configPath, string logPath, ProcessPlacement? placement)
    {
        _binary = binary;
        _configPath = configPath;
        _logPath = logPath;
        _placement = placement;
        Port = FreePort.Next();
        Password = Convert.ToHexString(Guid.NewGuid().ToByteArray());
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>StackExchange.Redis format, as the API reads <c>ConnectionStrings:redis</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    public bool IsRunning => _process is { HasExited: false };

    public int? Pid => _process?.Pid;

    public static async Task<RedisServer> CreateAsync(string workDirectory, string logDirectory, ProcessPlacement? placement = null)
    {
        var binary = FindBinary();
        var directory = Path.Combine(workDirectory, "redis");
        Directory.CreateDirectory(directory);
        var server = new RedisServer(binary, Path.Combine(directory, "redis.conf"), Path.Combine(logDirectory, "redis.log"), placement);
        await File.WriteAllTextAsync(server._configPath, $"""
            port {server.Port}
            bind 127.0.0.1
            protected-mode yes
            requirepass {server.Password}
            save ""
            appendonly no
            dir {directory}
            """);
        File.SetUnixFileMode(server._configPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("Redis is already running.");
        }

        _starts++;
        _process = ChildProcess.Start($"redis#{_starts}", _binary, [_configPath], new Dictionary<string, string>(), _logPath,
            placement: _placement);
        var started = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited while starting:\n{_process.LogTail()}");
            }

            try
            {
                var admin = await AdminAsync();
                await admin.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException) when (started.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>SIGKILL: Redis vanishes with every connection and subscription.</summary>
    public Task KillAsync() => (_process ?? throw new InvalidOperationException("Redis is not running.")).KillAsync();

    /// <summary>SIGTERM: Redis closes its clients and exits.</summary>
    public Task TerminateAsync() => (_process ?? throw new InvalidOperationException("Redis is not running.")).TerminateAsync(TimeSpan.FromSeconds(15));

    /// <summary>PUBLISH; returns how many subscribers received it.</summary>
    public async Task<long> PublishAsync(string channel, string message) =>
        await (await AdminAsync()).GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message);

    /// <summary>PUBSUB CHANNELS pattern: the channels that have at least one subscriber now.</summary>
    public async Task<IReadOnlyList<string>> SubscribedChannelsAsync(string pattern)
    {
        var channels = await Server(await AdminAsync()).SubscriptionChannelsAsync(RedisChannel.Pattern(pattern));
        return [.. channels.Select(c => c.ToString())];
    }

    /// <summary>PUBSUB NUMSUB: subscribers of one channel.</summary>
    public async Task<long> SubscriberCountAsync(string channel) =>
        await Server(await AdminAsync()).SubscriptionSubscriberCountAsync(RedisChannel.Literal(channel));

    /// <summary>CLIENT KILL TYPE pubsub: every subscriber connection is cut; what is published until they resubscribe is lost to them.</summary>
    public async Task<long> KillPubSubClientsAsync()
    {
        var result = await Server(await AdminAsync()).ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        return (long)result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.CloseAsync(allowCommandsToComplete: false);
            _admin.Dispose();
        }

        if (IsRunning)
        {
            await _process!.KillAsync();
        }
    }

    private async Task<ConnectionMultiplexer> AdminAsync()
    {
        if (_admin is { IsConnected: true })
        {
            return _admin;
        }

        if (_admin is null)
        {
            var options = ConfigurationOptions.Parse(ConnectionString);
            options.AllowAdmin = true;
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            options.SyncTimeout = 5000;
            options.AsyncTimeout = 5000;
            options.ClientName = "kavach-harness-admin";
            _admin = await ConnectionMultiplexer.ConnectAsync(options);
        }

        // After a restart the multiplexer reconnects by itself; wait for it (bounded).
        var waited = Stopwatch.StartNew();
        while (!_admin.IsConnected && waited.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50);
        }

        return _admin.IsConnected ? _admin : throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not reachable.");
    }

    private IServer Server(ConnectionMultiplexer admin) => admin.GetServer("127.0.0.1", Port);

    private static string FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("KAVACH_FAULT_REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, "redis-server"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server not found: apt-get install redis-server, or set KAVACH_FAULT_REDIS_SERVER.");
    }
}
