namespace Kavach.LoadGen.Telemetry;

/// <summary>
/// The fields of one protobuf message, in wire order: number, wire type, and for length-delimited fields their bytes.
/// Stops (and says so) at the first thing the wire format does not allow.
/// </summary>
public ref struct ProtobufFields
{
    private ReadOnlySpan<byte> _rest;

    public ProtobufFields(ReadOnlySpan<byte> message)
    {
        _rest = message;
    }

    public bool Malformed { get; private set; }

    public bool Next(out int field, out int wireType, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        field = 0;
        wireType = 0;
        if (_rest.IsEmpty || Malformed)
        {
            return false;
        }

        if (!TryVarint(out var key) || key >> 3 is 0 or > int.MaxValue)
        {
            return Stop();
        }

        field = (int)(key >> 3);
        wireType = (int)(key & 7);
        switch (wireType)
        {
            case 0:
                return TryVarint(out _) || Stop();
            case 1:
                return Skip(8);
            case 2:
                if (!TryVarint(out var length) || length > (ulong)_rest.Length)
                {
                    return Stop();
                }

                payload = _rest[..(int)length];
                _rest = _rest[(int)length..];
                return true;
            case 5:
                return Skip(4);
            default:
                return Stop(); // groups (3, 4) are not used by OTLP; 6 and 7 do not exist
        }
    }

    private bool Skip(int bytes)
    {
        if (_rest.Length < bytes)
        {
            return Stop();
        }

        _rest = _rest[bytes..];
        return true;
    }

    private bool TryVarint(out ulong value)
    {
        value = 0;
        for (var i = 0; i < 10 && i < _rest.Length; i++)
        {
            value |= (ulong)(_rest[i] & 0x7f) << (7 * i);
            if (_rest[i] < 0x80)
            {
                _rest = _rest[(i + 1)..];
                return true;
            }
        }

        return false;
    }

    private bool Stop()
    {
        Malformed = true;
        return false;
    }
}
