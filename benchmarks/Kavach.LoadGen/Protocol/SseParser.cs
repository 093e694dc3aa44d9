using System.Buffers.Text;

namespace Kavach.LoadGen.Protocol;

/// <summary>
/// Reads an HTTP/1.0 response carrying an SSE stream from raw bytes, as cheaply as a checker allows: lines are
/// found with a vectorised search, and of each event only its id (<c>N</c> or <c>E:N</c>), its type's kind and the
/// emitter's stamp (<c>"t":</c> in the data, monotonic nanoseconds) are read. Named events (connected, resync, error)
/// are told apart from stream events; an error's <c>code</c> is kept.
/// </summary>
public abstract class SseParser
{
    private const int MaxLine = 1 << 20;
    private byte[]? _carry;
    private int _carryLength;
    private bool _headersDone;
    private EventKind _kind;
    private bool _hasId;
    private long _epoch;
    private long _sequence;
    private long _stamp;
    private string? _code;

    protected enum EventKind
    {
        Stream,
        Connected,
        Resync,
        Error,
    }

    /// <summary>The HTTP status of the current response (0 until its status line is read).</summary>
    public int Status { get; private set; }

    /// <summary>Forget the previous response: a new connection starts with its headers.</summary>
    public void ResetResponse()
    {
        _carryLength = 0;
        _headersDone = false;
        Status = 0;
        ResetEvent();
    }

    public void Feed(ReadOnlySpan<byte> data, long receivedNanos)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Carry(data);
                return;
            }

            if (_carryLength > 0)
            {
                Carry(data[..newline]);
                Line(_carry.AsSpan(0, Math.Min(_carryLength, MaxLine)), receivedNanos);
                _carryLength = 0;
            }
            else
            {
                Line(data[..newline], receivedNanos);
            }

            data = data[(newline + 1)..];
        }
    }

    /// <summary>A stream event (one with an id): its position and its emitter's stamp (0 without one).</summary>
    protected abstract void OnEvent(long epoch, long sequence, long stamp, long receivedNanos);

    /// <summary>A named event without an id: connected, resync, or error (with its code).</summary>
    protected abstract void OnNamed(EventKind kind, string? code);

    /// <summary>The blank line after the response headers.</summary>
    protected virtual void OnHeaders(int status)
    {
    }

    private void Carry(ReadOnlySpan<byte> part)
    {
        var needed = _carryLength + part.Length;
        if (needed > MaxLine)
        {
            _carryLength = needed; // too long to keep: the line is cut, counted, and ignored
            return;
        }

        if (_carry is null || _carry.Length < needed)
        {
            Array.Resize(ref _carry, Math.Max(needed, 256));
        }

        part.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength = needed;
    }

    private void Line(ReadOnlySpan<byte> line, long receivedNanos)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (!_headersDone)
        {
            if (Status == 0 && line.Length >= 12 && line.StartsWith("HTTP/"u8) && Utf8Parser.TryParse(line.Slice(9, 3), out int status, out _))
            {
                Status = status;
            }

            if (line.IsEmpty)
            {
                _headersDone = true;
                OnHeaders(Status);
            }

            return;
        }

        if (line.IsEmpty)
        {
            Dispatch(receivedNanos);
            return;
        }

        switch (line[0])
        {
            case (byte)'d' when line.StartsWith("data:"u8):
                Data(line[5..]);
                break;
            case (byte)'i' when line.StartsWith("id:"u8):
                Id(line[3..].TrimStart((byte)' '));
                break;
            case (byte)'e' when line.StartsWith("event:"u8):
                var name = line[6..].TrimStart((byte)' ');
                _kind = name.SequenceEqual("connected"u8) ? EventKind.Connected
                    : name.SequenceEqual("resync"u8) ? EventKind.Resync
                    : name.SequenceEqual("error"u8) ? EventKind.Error
                    : EventKind.Stream;
                break;
        }
    }

    private void Data(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf("\"t\":"u8);
        if (at >= 0)
        {
            var number = data[(at + 4)..].TrimStart((byte)' ');
            if (Utf8Parser.TryParse(number, out long stamp, out _))
            {
                _stamp = stamp;
            }

            return;
        }

        at = data.IndexOf("\"code\":\""u8);
        if (at >= 0)
        {
            var rest = data[(at + 8)..];
            var end = rest.IndexOf((byte)'"');
            _code = System.Text.Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
        }
    }

    private void Id(ReadOnlySpan<byte> id)
    {
        var colon = id.IndexOf((byte)':');
        long epoch = 1;
        if (colon >= 0)
        {
            if (!Utf8Parser.TryParse(id[..colon], out epoch, out _))
            {
                return;
            }

            id = id[(colon + 1)..];
        }

        if (Utf8Parser.TryParse(id, out long sequence, out _))
        {
            _epoch = epoch;
            _sequence = sequence;
            _hasId = true;
        }
    }

    private void Dispatch(long receivedNanos)
    {
        if (_hasId && _kind == EventKind.Stream)
        {
            OnEvent(_epoch, _sequence, _stamp, receivedNanos);
        }
        else if (_kind != EventKind.Stream)
        {
            OnNamed(_kind, _code);
        }

        ResetEvent();
    }

    private void ResetEvent()
    {
        _kind = EventKind.Stream;
        _hasId = false;
        _stamp = 0;
        _code = null;
    }
}
