using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Kavach.Tests.Support;

/// <summary>
/// A TCP proxy in front of the test system's PostgreSQL (loopback only) that can break things at precise moments:
/// cut a connection right after forwarding the statement that carries a marker (an event's id or agent id: so the
/// statement commits but its answer is lost), cut it instead of forwarding it (so it never happens), or refuse every
/// connection (PostgreSQL "down").
/// </summary>
public sealed class PostgresProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private int _cut; // 0 none, 1 after the next message with the marker, 2 instead of it
    private byte[] _marker = [];
    private volatile bool _refusing;

    private PostgresProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The test system's connection string, pointed at this proxy.</summary>
    public string ConnectionString { get; private set; } = "";

    public TaskCompletionSource CutDone { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<PostgresProxy> StartAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(await KavachSystem.DatabaseConnectionStringAsync());
        var proxy = new PostgresProxy(new IPEndPoint(IPAddress.Loopback, builder.Port));
        builder.Host = "127.0.0.1";
        builder.Port = proxy.Port;
        proxy.ConnectionString = builder.ConnectionString;
        return proxy;
    }

    /// <summary>The next statement carrying <paramref name="marker"/> reaches PostgreSQL, which commits it; then the connection is cut before its answer comes back.</summary>
    public void CutAfterNextStatementWith(string marker) => Arm(1, marker);

    /// <summary>The next statement carrying <paramref name="marker"/> is dropped and the connection cut: it never runs.</summary>
    public void CutInsteadOfNextStatementWith(string marker) => Arm(2, marker);

    /// <summary>Cuts every connection and refuses new ones until <see cref="Resume"/>.</summary>
    public void Refuse()
    {
        _refusing = true;
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Close();
            }

            _open.Clear();
        }
    }

    public void Resume() => _refusing = false;

    private void Arm(int mode, string marker)
    {
        CutDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _marker = Encoding.UTF8.GetBytes(marker);
        Volatile.Write(ref _cut, mode);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_refusing)
            {
                client.Close();
                continue;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }

            var toServer = PumpAsync(client.GetStream(), server.GetStream(), watchStatements: true, client, server);
            var toClient = PumpAsync(server.GetStream(), client.GetStream(), watchStatements: false, client, server);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Close();
            server.Close();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool watchStatements, TcpClient client, TcpClient server)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }

            var mode = watchStatements && Volatile.Read(ref _cut) != 0 && buffer.AsSpan(0, read).IndexOf(_marker) >= 0
                ? Interlocked.Exchange(ref _cut, 0) : 0;
            if (mode == 2)
            {
                client.Close();
                server.Close();
                CutDone.TrySetResult();
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            if (mode == 1)
            {
                // Let PostgreSQL commit, then lose its answer.
                await Task.Delay(500);
                client.Close();
                server.Close();
                CutDone.TrySetResult();
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Refuse();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
