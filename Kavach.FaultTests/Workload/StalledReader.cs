using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kavach.FaultTests.Workload;

/// <summary>
/// A stream client that asks properly and then never reads: a raw TCP connection with a small receive buffer
/// that sends a valid stream request with a token and leaves the answer in the kernel. Once its buffers and the
/// server's send buffer are full, every write the server makes to it blocks. The server side of the connection is
/// watched through /proc/net/tcp (its send queue, and whether it is still open).
/// </summary>
public sealed class StalledReader : IDisposable
{
    private readonly Socket _socket;

    private StalledReader(Socket socket, int serverPort)
    {
        _socket = socket;
        ServerPort = serverPort;
        LocalPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public int ServerPort { get; }

    public int LocalPort { get; }

    public static async Task<StalledReader> OpenAsync(Uri replica, string token, int receiveBufferBytes = 4096)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveBufferSize = receiveBufferBytes, // before connect, so the advertised window stays small
            NoDelay = true,
        };
        await socket.ConnectAsync(IPAddress.Loopback, replica.Port);
        var request = $"GET /api/kavach/events/stream HTTP/1.1\r\nHost: 127.0.0.1:{replica.Port}\r\n" +
            $"Accept: text/event-stream\r\nAuthorization: Bearer {token}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        return new StalledReader(socket, replica.Port);
    }

    /// <summary>Bytes waiting in this client's receive buffer.</summary>
    public int Unread => _socket.Available;

    /// <summary>The server's end of this connection: its TCP state and send queue, or null once the kernel has dropped it.</summary>
    public TcpEntry? ServerSide() => TcpEntry.Find(ServerPort, LocalPort);

    /// <summary>
    /// After the server is done with it: reads what is left and reports how the connection ended ("closed", "reset",
    /// or "still open" if nothing ends it within the timeout).
    /// </summary>
    public async Task<string> DrainAsync(TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (read == 0)
                {
                    return "closed";
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
        catch (OperationCanceledException)
        {
            return "still open";
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>One line of /proc/net/tcp (IPv4, loopback).</summary>
public sealed record TcpEntry(string State, long SendQueue, long ReceiveQueue)
{
    private static readonly Dictionary<string, string> States = new()
    {
        ["01"] = "ESTABLISHED", ["02"] = "SYN_SENT", ["03"] = "SYN_RECV", ["04"] = "FIN_WAIT1", ["05"] = "FIN_WAIT2",
        ["06"] = "TIME_WAIT", ["07"] = "CLOSE", ["08"] = "CLOSE_WAIT", ["09"] = "LAST_ACK", ["0A"] = "LISTEN", ["0B"] = "CLOSING",
    };

    public bool IsOpen => State == "ESTABLISHED";

    /// <summary>The socket bound to 127.0.0.1:<paramref name="localPort"/> connected to 127.0.0.1:<paramref name="remotePort"/>.</summary>
    public static TcpEntry? Find(int localPort, int remotePort)
    {
        var local = $"0100007F:{localPort:X4}";
        var remote = $"0100007F:{remotePort:X4}";
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 4 && fields[1] == local && fields[2] == remote)
            {
                var queues = fields[4].Split(':');
                return new TcpEntry(States.GetValueOrDefault(fields[3], fields[3]),
                    long.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return null;
    }
}
