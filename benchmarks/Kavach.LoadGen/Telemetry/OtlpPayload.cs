namespace Kavach.LoadGen.Telemetry;

/// <summary>
/// Counts the items an OTLP export request carries without a protobuf library. Traces, metrics and logs share one
/// shape — the request's field 1 (resource_spans, resource_metrics, resource_logs) holds field 2 (scope_spans,
/// scope_metrics, scope_logs), which holds field 2 (spans, metrics, log_records) — so the items are the
/// length-delimited fields 2 inside fields 2 inside fields 1. Every other field is skipped, as the wire format allows.
/// </summary>
public static class OtlpPayload
{
    private const int LengthDelimited = 2;

    /// <summary>False when the bytes are not a well-formed protobuf message (nothing is counted then).</summary>
    public static bool TryCountItems(ReadOnlySpan<byte> request, out long items)
    {
        items = 0;
        var resources = new ProtobufFields(request);
        while (resources.Next(out var field, out var wireType, out var resource))
        {
            if (field != 1 || wireType != LengthDelimited)
            {
                continue;
            }

            var scopes = new ProtobufFields(resource);
            while (scopes.Next(out field, out wireType, out var scope))
            {
                if (field != 2 || wireType != LengthDelimited)
                {
                    continue;
                }

                var entries = new ProtobufFields(scope);
                while (entries.Next(out field, out wireType, out _))
                {
                    if (field == 2 && wireType == LengthDelimited)
                    {
                        items++;
                    }
                }

                if (entries.Malformed)
                {
                    return Fail(out items);
                }
            }

            if (scopes.Malformed)
            {
                return Fail(out items);
            }
        }

        return !resources.Malformed || Fail(out items);
    }

    private static bool Fail(out long items)
    {
        items = 0;
        return false;
    }
}
