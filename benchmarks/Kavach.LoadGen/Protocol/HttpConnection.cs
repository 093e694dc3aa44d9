using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kavach.LoadGen.Protocol;

/// <summary>
/// One HTTP/1.1 keep-alive connection over a raw socket: a request is written as bytes, the answer read just far
/// enough to know its status and body (Content-Length or chunked). Reconnects when the server closes.
/// </summary>
public sealed class HttpConnection(Uri server) : IDisposable
{
    private Socket? _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public async Task<HttpAnswer> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await _socket.ConnectAsync(IPAddress.Parse(server.Host), server.Port, cancellationToken);
            _start = _end = 0;
        }

        try
        {
            while (!request.IsEmpty)
            {
                var sent = await _socket.SendAsync(request, SocketFlags.None, cancellationToken);
                request = request[sent..];
            }

            return await ReadAnswerAsync(cancellationToken);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
    }

    private async Task<HttpAnswer> ReadAnswerAsync(CancellationToken cancellationToken)
    {
        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            await FillAsync(cancellationToken);
        }

        var headers = _buffer.AsSpan(_start, headerEnd);
        Utf8Parser.TryParse(headers.Slice(9, 3), out int status, out _);
        long? length = null;
        var chunked = false;
        var close = false;
        foreach (var range in headers.Split("\r\n"u8))
        {
            var line = headers[range];
            if (StartsWithIgnoreCase(line, "content-length:"u8))
            {
                Utf8Parser.TryParse(line[15..].Trim((byte)' '), out long value, out _);
                length = value;
            }
            else if (StartsWithIgnoreCase(line, "transfer-encoding:"u8) && line.IndexOf("chunked"u8) >= 0)
            {
                chunked = true;
            }
            else if (StartsWithIgnoreCase(line, "connection:"u8) && line.IndexOf("close"u8) >= 0)
            {
                close = true;
            }
        }

        _start += headerEnd + 4;
        var body = new MemoryStream();
        if (chunked)
        {
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                {
                    await FillAsync(cancellationToken);
                }

                Utf8Parser.TryParse(_buffer.AsSpan(_start, lineEnd), out int size, out _, 'x');
                _start += lineEnd + 2;
                await EnsureAsync(size + 2, cancellationToken);
                body.Write(_buffer, _start, size);
                _start += size + 2;
                if (size == 0)
                {
                    break;
                }
            }
        }
        else if (length is { } contentLength)
        {
            await EnsureAsync((int)contentLength, cancellationToken);
            body.Write(_buffer, _start, (int)contentLength);
            _start += (int)contentLength;
        }

        if (close)
        {
            Dispose();
        }

        return new HttpAnswer(status, body.GetBuffer().AsMemory(0, (int)body.Length));
    }

    private async Task EnsureAsync(int bytes, CancellationToken cancellationToken)
    {
        while (_end - _start < bytes)
        {
            await FillAsync(cancellationToken);
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        var read = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new IOException("The server closed the connection.");
        }

        _end += read;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> line, ReadOnlySpan<byte> prefix) =>
        line.Length >= prefix.Length && Ascii.EqualsIgnoreCase(line[..prefix.Length], prefix);
}

public readonly record struct HttpAnswer(int Status, ReadOnlyMemory<byte> Body);
