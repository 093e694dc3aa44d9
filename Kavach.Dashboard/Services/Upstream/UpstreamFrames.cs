using System.Text.Json;
using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>The SSE frames the stream API sends, parsed by event name.</summary>
public abstract record UpstreamFrame
{
    public static UpstreamFrame Parse(string eventType, ReadOnlySpan<byte> data)
    {
        try
        {
            return eventType switch
            {
                "connected" => Deserialize<ConnectedFrame>(data),
                "resync" => Deserialize<ResyncFrame>(data),
                "error" => Deserialize<ErrorFrame>(data),
                _ => new EventFrame(Deserialize<KavachEvent>(data)),
            };
        }
        catch (JsonException e)
        {
            return new UnreadableFrame(eventType, e.Message);
        }
    }

    private static T Deserialize<T>(ReadOnlySpan<byte> data) =>
        JsonSerializer.Deserialize<T>(data, KavachEvent.JsonOptions) ?? throw new JsonException("The frame's data is null.");
}

public sealed record ConnectedFrame(string? ClientId, string? SubscriberId, DateTimeOffset? Timestamp, long? Epoch = null) : UpstreamFrame;

public sealed record ResyncFrame(string? Reason, long? OldestSequence, long? Epoch = null, long? ResumeAfter = null) : UpstreamFrame;

public sealed record ErrorFrame(string? Code, string? Message) : UpstreamFrame;

public sealed record EventFrame(KavachEvent Event) : UpstreamFrame;

public sealed record UnreadableFrame(string EventType, string Error) : UpstreamFrame;
