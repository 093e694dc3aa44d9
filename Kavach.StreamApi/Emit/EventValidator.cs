using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Emit;

/// <summary>What is wrong with an emit: field errors (400), a size limit passed (413), or a party the emitter may not speak for (403).</summary>
public sealed record EmitRejection(IDictionary<string, string[]> Errors, bool TooLarge = false, bool Forbidden = false);

/// <summary>
/// Checks drafts and turns them into events ready to commit. The one place the emit rules live, for HTTP and
/// in-process callers alike; a batch with any bad event is rejected whole.
/// </summary>
/// <remarks>
/// Whatever passes here must be storable by PostgreSQL (<c>text</c> and <c>jsonb</c>) and writable back by every read
/// path (pages, replay, the stream, Redis fan-out), so the rules follow what those accept: no NUL, no unpaired UTF-16
/// surrogate, numbers that <c>numeric</c> and IEEE doubles can hold, and data shallow enough for the JSON writers.
/// </remarks>
public sealed class EventValidator(IOptions<StreamOptions> options, TimeProvider time)
{
    public const int MaxIdLength = IdText.MaxLength;

    /// <summary>
    /// Deepest nesting of <c>data</c>, the data object itself being level 1. The read paths write data inside up to
    /// three more levels (<c>{"events":[{"data":…}]}</c>) and System.Text.Json stops at 64; 32 leaves a wide margin.
    /// </summary>
    public const int MaxDataDepth = 32;

    /// <summary>PostgreSQL <c>numeric</c> keeps at most this many digits after the decimal point (its display scale).</summary>
    public const int MaxFractionDigits = 16383;

    private static readonly JsonElement EmptyData = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly StreamOptions _options = options.Value;

    public IReadOnlyList<ValidatedEvent> Validate(IReadOnlyList<EventDraft> drafts, bool isBatch, out EmitRejection? rejection)
    {
        var errors = new Dictionary<string, string[]>();
        var tooLarge = false;

        if (drafts.Count == 0)
        {
            errors[""] = ["The batch is empty: send at least one event."];
        }
        else if (drafts.Count > _options.MaxBatchSize)
        {
            errors[""] = [$"A batch holds at most {_options.MaxBatchSize} events; this one has {drafts.Count}."];
            tooLarge = true;
        }

        var now = time.GetUtcNow();
        var events = new List<ValidatedEvent>(drafts.Count);
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < drafts.Count && !tooLarge; i++)
        {
            var draft = drafts[i];
            var prefix = isBatch ? $"[{i}]." : "";
            void Error(string field, string message) => errors[prefix + field] = [message];

            if (string.IsNullOrEmpty(draft.Type))
            {
                Error("type", $"Required. One of: {EventTypeCatalog.AllAsText}.");
            }
            else if (!EventTypeCatalog.IsKnown(draft.Type))
            {
                Error("type", $"Unknown event type '{draft.Type}'. One of: {EventTypeCatalog.AllAsText}.");
            }

            var dataElement = EmptyData;
            if (draft.Data is { } data)
            {
                if (data.ValueKind != JsonValueKind.Object)
                {
                    Error("data", $"Must be a JSON object, not {data.ValueKind.ToString().ToLowerInvariant()}.");
                }
                else if (CheckData(data, out var storedBytes) is { } dataError)
                {
                    Error("data", dataError);
                }
                else if (storedBytes > _options.MaxEventDataBytes)
                {
                    Error("data", $"Larger than {_options.MaxEventDataBytes} bytes (numbers count as written out without an exponent).");
                    tooLarge = true;
                }
                else
                {
                    dataElement = data;
                }
            }

            CheckText(draft.Id, "id", Error);
            CheckText(draft.AgentId, "agentId", Error);
            CheckText(draft.UserId, "userId", Error);

            var id = draft.Id ?? Guid.CreateVersion7(now).ToString();
            if (!seenIds.Add(id))
            {
                Error("id", $"The id '{id}' appears more than once in this batch.");
            }

            var timestamp = TruncateToMicroseconds(draft.Timestamp ?? now);
            var type = draft.Type ?? "";
            events.Add(new ValidatedEvent(id, type, timestamp, draft.AgentId, draft.UserId,
                errors.Count == 0 ? StoredEvent.BodyOf(id, type, timestamp, dataElement, draft.AgentId, draft.UserId) : ""));
        }

        rejection = errors.Count == 0 ? null : new EmitRejection(errors, tooLarge);
        return rejection is null ? events : [];
    }

    private static void CheckText(string? value, string field, Action<string, string> error)
    {
        if (value is not null && IdText.Check(value) is { } message)
        {
            error(field, message);
        }
    }

    /// <summary>
    /// Checks an event's <c>data</c> object against what PostgreSQL's <c>jsonb</c> stores and the read paths write
    /// back. Null when acceptable, otherwise what is wrong and where. <paramref name="storedBytes"/> is its size with
    /// every number counted as <c>jsonb</c> writes it (without an exponent: <c>1e300</c> comes back as 301 digits).
    /// </summary>
    public static string? CheckData(JsonElement data, out long storedBytes)
    {
        // The raw bytes, not GetRawText: a JsonElement from invalid UTF-8 would throw while being transcoded.
        var raw = JsonMarshal.GetRawUtf8Value(data);
        storedBytes = raw.Length;
        if (!Utf8.IsValid(raw))
        {
            return "Must be valid UTF-8.";
        }

        try
        {
            return CheckDataTokens(raw, ref storedBytes);
        }
        catch (JsonException)
        {
            // Only from a JsonElement parsed with comments or trailing commas allowed, which jsonb refuses.
            return "Must be plain JSON: no comments, no trailing commas.";
        }
    }

    private static string? CheckDataTokens(ReadOnlySpan<byte> raw, ref long storedBytes)
    {
        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = MaxDataDepth + 1 });
        var path = new List<PathSegment>(); // one per open object or array: its current property name or index
        var names = new Stack<HashSet<string>?>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (reader.CurrentDepth + 1 > MaxDataDepth)
                    {
                        return $"Nested deeper than {MaxDataDepth} levels at {Describe(path)} (the data object is level 1).";
                    }

                    names.Push(reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null);
                    path.Add(new PathSegment(null, reader.TokenType == JsonTokenType.StartArray ? 0 : -1));
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    names.Pop();
                    path.RemoveAt(path.Count - 1);
                    break;
                case JsonTokenType.PropertyName:
                    if (CheckEscapes(reader.ValueSpan, reader.ValueIsEscaped) is { } nameError)
                    {
                        return $"A property name at {Describe(path)} {nameError}";
                    }

                    var name = reader.GetString()!;
                    if (!names.Peek()!.Add(name))
                    {
                        path[^1] = path[^1] with { Name = null };
                        return $"The property '{name}' appears twice in the object at {Describe(path)}: each name may appear once per object.";
                    }

                    path[^1] = path[^1] with { Name = name };
                    continue;
                case JsonTokenType.String:
                    if (CheckEscapes(reader.ValueSpan, reader.ValueIsEscaped) is { } stringError)
                    {
                        return $"The string at {Describe(path)} {stringError}";
                    }

                    break;
                case JsonTokenType.Number:
                    if (CheckNumber(reader.ValueSpan, out var writtenOut) is { } numberError)
                    {
                        return $"The number at {Describe(path)} {numberError}";
                    }

                    storedBytes += writtenOut - reader.ValueSpan.Length;
                    break;
            }

            // A value ended: the next one in an array is the next index.
            if (path.Count > 0 && path[^1].Index >= 0)
            {
                path[^1] = path[^1] with { Index = path[^1].Index + 1 };
            }
        }

        return null;
    }

    /// <summary>
    /// A JSON number must be finite as an IEEE-754 double (what JavaScript and .NET readers can hold) and have at most
    /// <see cref="MaxFractionDigits"/> digits after the decimal point once written out (PostgreSQL numeric's limit).
    /// <paramref name="writtenOut"/> is the length jsonb writes it back with: plain notation, no exponent.
    /// </summary>
    public static string? CheckNumber(ReadOnlySpan<byte> number, out long writtenOut)
    {
        writtenOut = number.Length;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return $"is beyond what a 64-bit floating-point number holds (about ±1.8e308): {Excerpt(number)}.";
        }

        // JSON grammar, already checked by the reader: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
        var position = 0;
        var negative = number[0] == (byte)'-';
        if (negative)
        {
            position++;
        }

        var integerStart = position;
        while (position < number.Length && char.IsAsciiDigit((char)number[position]))
        {
            position++;
        }

        var integerDigits = number[integerStart..position];
        var fractionDigits = ReadOnlySpan<byte>.Empty;
        if (position < number.Length && number[position] == (byte)'.')
        {
            var fractionStart = ++position;
            while (position < number.Length && char.IsAsciiDigit((char)number[position]))
            {
                position++;
            }

            fractionDigits = number[fractionStart..position];
        }

        long exponent = 0;
        if (position < number.Length)
        {
            position++; // e or E
            var exponentNegative = number[position] == (byte)'-';
            if (number[position] is (byte)'-' or (byte)'+')
            {
                position++;
            }

            for (; position < number.Length; position++)
            {
                // Saturate: anything this large is decided by the scale check below.
                exponent = Math.Min(exponent * 10 + (number[position] - '0'), 1_000_000_000);
            }

            exponent = exponentNegative ? -exponent : exponent;
        }

        var scale = Math.Max(0, fractionDigits.Length - exponent);
        if (scale > MaxFractionDigits)
        {
            return $"has more than {MaxFractionDigits} digits after the decimal point once written without an exponent, " +
                $"which PostgreSQL cannot store: {Excerpt(number)}.";
        }

        // Digits before the point once the exponent is applied, without leading zeros (at least one).
        var digitCount = integerDigits.Length + fractionDigits.Length;
        var pointAt = integerDigits.Length + exponent;
        var leadingZeros = 0;
        for (var i = 0; i < digitCount && i < pointAt; i++)
        {
            var digit = i < integerDigits.Length ? integerDigits[i] : fractionDigits[i - integerDigits.Length];
            if (digit != (byte)'0')
            {
                break;
            }

            leadingZeros++;
        }

        var isZero = value == 0 && !ContainsNonZeroDigit(integerDigits) && !ContainsNonZeroDigit(fractionDigits);
        var integerLength = isZero || pointAt <= leadingZeros ? 1 : pointAt - leadingZeros;
        writtenOut = (negative && !isZero ? 1 : 0) + integerLength + (scale > 0 ? 1 + scale : 0);
        return null;
    }

    /// <summary>
    /// Checks the escapes of a JSON string as written (raw UTF-8 is already known to be valid): <c>\u0000</c> is
    /// refused by jsonb and text columns, an unpaired surrogate by jsonb, .NET's string readers and Npgsql.
    /// </summary>
    internal static string? CheckEscapes(ReadOnlySpan<byte> escaped, bool isEscaped)
    {
        if (!isEscaped)
        {
            return null;
        }

        var pendingHigh = false;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != (byte)'\\')
            {
                if (pendingHigh)
                {
                    return "holds an unpaired UTF-16 surrogate escape (a \\uD800-\\uDBFF not followed by \\uDC00-\\uDFFF).";
                }

                continue;
            }

            if (escaped[++i] != (byte)'u')
            {
                if (pendingHigh)
                {
                    return "holds an unpaired UTF-16 surrogate escape (a \\uD800-\\uDBFF not followed by \\uDC00-\\uDFFF).";
                }

                continue;
            }

            var code = int.Parse(escaped.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            i += 4;
            if (code == 0)
            {
                return "holds \\u0000 (NUL), which PostgreSQL cannot store.";
            }

            var isHigh = code is >= 0xD800 and <= 0xDBFF;
            var isLow = code is >= 0xDC00 and <= 0xDFFF;
            if (pendingHigh != isLow)
            {
                return "holds an unpaired UTF-16 surrogate escape (a \\uD800-\\uDBFF not followed by \\uDC00-\\uDFFF).";
            }

            pendingHigh = !pendingHigh && isHigh;
        }

        return pendingHigh ? "holds an unpaired UTF-16 surrogate escape (a \\uD800-\\uDBFF not followed by \\uDC00-\\uDFFF)." : null;
    }

    /// <summary>A JSON string's value, or why it cannot be one of our texts (instead of GetString's exception).</summary>
    internal static bool TryGetString(JsonElement value, out string? text, out string? error)
    {
        text = null;
        var raw = JsonMarshal.GetRawUtf8Value(value); // with its quotes
        error = !Utf8.IsValid(raw) ? "is not valid UTF-8." : CheckEscapes(raw, raw.Contains((byte)'\\'));
        if (error is not null)
        {
            error = "The value " + error;
            return false;
        }

        text = value.GetString();
        return true;
    }

    /// <summary>PostgreSQL keeps microseconds; the answer to an emit must match what replay returns later.</summary>
    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    private static bool ContainsNonZeroDigit(ReadOnlySpan<byte> digits) => digits.IndexOfAnyExcept((byte)'0') >= 0;

    private static string Excerpt(ReadOnlySpan<byte> number) =>
        number.Length <= 40 ? Encoding.UTF8.GetString(number) : $"{Encoding.UTF8.GetString(number[..20])}… ({number.Length} characters)";

    private static string Describe(List<PathSegment> path)
    {
        var text = new StringBuilder("data");
        foreach (var segment in path)
        {
            _ = segment.Index >= 0 ? text.Append('[').Append(segment.Index).Append(']')
                : segment.Name is null ? text : text.Append('.').Append(segment.Name);
        }

        return text.ToString();
    }

    private readonly record struct PathSegment(string? Name, int Index);
}
