using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Kavach.Tests.Support;

/// <summary>
/// A TCP proxy in front of the test system's PostgreSQL (loopback only) that can break things at precise moments:
/// cut a connection right after forwarding the statement that carries a marker (an event's id or agent id: so the
/// statement commits but its answer is lost), cut it instead of forwarding it (so it never happens), hold it until
/// released (its caller waits on its answer meanwhile), or refuse every connection (PostgreSQL "down").
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
    private byte[] _holdMarker = [];
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>
    /// The next statement carrying <paramref name="marker"/> waits in the proxy until <see cref="ReleaseHeld"/>; the task
    /// completes once it is held.
    /// </summary>
    public Task HoldNextStatementWith(string marker)
    {
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _holdMarker, Encoding.UTF8.GetBytes(marker));
        return _held.Task;
    }

    public void ReleaseHeld() => _release.TrySetResult();

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

            var link = new Link(client, server);
            var toServer = PumpAsync(client.GetStream(), server.GetStream(), toServer: true, link);
            var toClient = PumpAsync(server.GetStream(), client.GetStream(), toServer: false, link);
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

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool toServer, Link link)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }

            if (!toServer)
            {
                if (link.AnswerLost.Task.IsCompleted || link.LosingAnswers)
                {
                    link.AnswerLost.TrySetResult();
                    continue;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                continue;
            }

            var hold = Volatile.Read(ref _holdMarker);
            if (hold.Length > 0 && buffer.AsSpan(0, read).IndexOf(hold) >= 0
                && Interlocked.CompareExchange(ref _holdMarker, [], hold) == hold)
            {
                _held.TrySetResult();
                await _release.Task.WaitAsync(_stop.Token);
            }

            var mode = Volatile.Read(ref _cut) != 0 && buffer.AsSpan(0, read).IndexOf(_marker) >= 0
                ? Interlocked.Exchange(ref _cut, 0) : 0;
            if (mode == 2)
            {
                link.Close();
                CutDone.TrySetResult();
                return;
            }

            if (mode == 1)
            {
                // PostgreSQL runs (and commits) the statement; its answer is dropped here, then the connection is cut.
                link.LosingAnswers = true;
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                await link.AnswerLost.Task.WaitAsync(TimeSpan.FromSeconds(10), _stop.Token);
                link.Close();
                CutDone.TrySetResult();
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    /// <summary>One proxied connection: both sockets, and whether PostgreSQL's answers on it are being dropped.</summary>
    private sealed class Link(TcpClient client, TcpClient server)
    {
        public volatile bool LosingAnswers;

        public TaskCompletionSource AnswerLost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Close()
        {
            client.Close();
            server.Close();
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
