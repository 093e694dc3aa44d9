using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kavach.Floor;

/// <summary>The two routes of the contract the benchmark compares: emit and stream, as the API frames them.</summary>
public static class FloorEndpoints
{
    private static readonly byte[] Connected = Encoding.UTF8.GetBytes("retry: 3000\n\nevent: connected\ndata: {\"floor\":true}\n\n");
    private static readonly byte[] SlowConsumer = "event: error\ndata: {\"code\":\"SLOW_CONSUMER\"}\n\n"u8.ToArray();

    public static async Task EmitAsync(HttpContext context, FloorHub hub)
    {
        if (!context.Request.Headers.Authorization.Any())
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var body = await context.Request.BodyReader.ReadAllAsync(context.RequestAborted);
        using var document = JsonDocument.Parse(body);
        var events = document.RootElement.ValueKind == JsonValueKind.Array
            ? [.. document.RootElement.EnumerateArray()]
            : new List<JsonElement> { document.RootElement };
        var timestamp = DateTimeOffset.UtcNow;
        var ids = new string[events.Count];
        var first = hub.Append(events.Count, (i, sequence) =>
        {
            ids[i] = Guid.CreateVersion7().ToString();
            return Frame(events[i], ids[i], timestamp, sequence);
        });

        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.ContentType = "application/json; charset=utf-8";
        var answer = new ArrayBufferWriter<byte>(64 * events.Count + 16);
        using (var json = new Utf8JsonWriter(answer))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            for (var i = 0; i < events.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("id", ids[i]);
                json.WriteNumber("sequence", first + i);
                json.WriteString("timestamp", timestamp);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        context.Response.ContentLength = answer.WrittenCount;
        await context.Response.Body.WriteAsync(answer.WrittenMemory);
    }

    public static async Task StreamAsync(HttpContext context, FloorHub hub)
    {
        if (!context.Request.Headers.Authorization.Any())
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        long? cursor = long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var after)
            ? after : null;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache, no-store, no-transform";
        var (subscriber, snapshot) = hub.Subscribe();
        try
        {
            var output = context.Response.BodyWriter;
            output.Write(Connected);
            if (cursor is { } position)
            {
                var written = 0;
                foreach (var frame in hub.History(position, snapshot))
                {
                    output.Write(frame);
                    written += frame.Length;
                    if (written >= 64 * 1024)
                    {
                        await output.FlushAsync(context.RequestAborted);
                        written = 0;
                    }
                }
            }

            await output.FlushAsync(context.RequestAborted);
            var reader = subscriber.Reader;
            while (await reader.WaitToReadAsync(context.RequestAborted))
            {
                while (reader.TryRead(out var chunk))
                {
                    if (chunk.Last == 0 || chunk.Last > snapshot)
                    {
                        output.Write(chunk.Bytes);
                    }
                }

                await output.FlushAsync(context.RequestAborted);
            }

            if (subscriber.Shed)
            {
                output.Write(SlowConsumer);
                await output.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            hub.Unsubscribe(subscriber);
        }
    }

    /// <summary>The API's frame: <c>event:</c> type, <c>data:</c> the event as JSON, <c>id:</c> the sequence.</summary>
    private static byte[] Frame(JsonElement draft, string id, DateTimeOffset timestamp, long sequence)
    {
        var type = draft.TryGetProperty("type", out var t) ? t.GetString() ?? "audit" : "audit";
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write("event: "u8);
        buffer.Write(Encoding.UTF8.GetBytes(type));
        buffer.Write("\ndata: "u8);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("type", type);
            json.WriteString("timestamp", timestamp);
            json.WritePropertyName("data");
            if (draft.TryGetProperty("data", out var data))
            {
                data.WriteTo(json);
            }
            else
            {
                json.WriteStartObject();
                json.WriteEndObject();
            }

            if (draft.TryGetProperty("agentId", out var agent))
            {
                json.WriteString("agentId", agent.GetString());
            }

            if (draft.TryGetProperty("userId", out var user))
            {
                json.WriteString("userId", user.GetString());
            }

            json.WriteNumber("sequence", sequence);
            json.WriteEndObject();
        }

        buffer.Write("\nid: "u8);
        buffer.Write(Encoding.ASCII.GetBytes(sequence.ToString(CultureInfo.InvariantCulture)));
        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}

internal static class PipeReaderExtensions
{
    /// <summary>The whole request body (the floor trusts its caller: no size limit beyond Kestrel's).</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadAllAsync(this System.IO.Pipelines.PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
