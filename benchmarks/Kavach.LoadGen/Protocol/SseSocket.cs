using System.Net.Sockets;
using System.Text;

namespace Kavach.LoadGen.Protocol;

/// <summary>
/// One SSE stream over a raw socket: an HTTP/1.0 GET (so the body is the bare stream, ended by the server closing),
/// read as lines. Only what a checker needs is extracted: each event's type and id.
/// </summary>
public sealed class SseSocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly byte[] _line = new byte[8 * 1024];
    private int _lineLength;
    private bool _headersDone;
    private string? _eventType;

    public int Status { get; private set; }

    public static async Task<SseSocket> OpenAsync(Uri api, string path, string token, string? lastEventId, CancellationToken cancellationToken)
    {
        var stream = new SseSocket();
        await stream._socket.ConnectAsync(api.Host, api.Port, cancellationToken);
        var request = new StringBuilder()
            .Append("GET ").Append(path).Append(" HTTP/1.0\r\n")
            .Append("Host: ").Append(api.Authority).Append("\r\n")
            .Append("Accept: text/event-stream\r\n")
            .Append("Authorization: Bearer ").Append(token).Append("\r\n");
        if (lastEventId is not null)
        {
            request.Append("Last-Event-ID: ").Append(lastEventId).Append("\r\n");
        }

        await stream._socket.SendAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), cancellationToken);
        return stream;
    }

    /// <summary>Reads until the stream ends, calling <paramref name="onEvent"/> with each event's type and id (null without one).</summary>
    public async Task ReadAsync(Func<string, string?, bool> onEvent, CancellationToken cancellationToken)
    {
        string? id = null;
        while (true)
        {
            var read = await _socket.ReceiveAsync(_buffer, cancellationToken);
            if (read == 0)
            {
                return;
            }

            for (var i = 0; i < read; i++)
            {
                var b = _buffer[i];
                if (b != (byte)'\n')
                {
                    if (_lineLength < _line.Length)
                    {
                        _line[_lineLength] = b;
                    }

                    _lineLength++;
                    continue;
                }

                var line = _line.AsSpan(0, Math.Min(_lineLength, _line.Length)).TrimEnd((byte)'\r');
                _lineLength = 0;
                if (!_headersDone)
                {
                    if (Status == 0 && line.StartsWith("HTTP/"u8) && line.Length >= 12)
                    {
                        Status = int.Parse(line.Slice(9, 3));
                    }

                    _headersDone = line.IsEmpty;
                    continue;
                }

                if (line.IsEmpty)
                {
                    if (_eventType is not null && !onEvent(_eventType, id))
                    {
                        return;
                    }

                    _eventType = null;
                    id = null;
                }
                else if (line.StartsWith("event: "u8))
                {
                    _eventType = Encoding.ASCII.GetString(line[7..]);
                }
                else if (line.StartsWith("id: "u8))
                {
                    id = Encoding.ASCII.GetString(line[4..]);
                }
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
