using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// How one kind of destination is written to: the engine decides what to send and when, the channel how. Webhooks sign
/// the event as the stream serves it (Standard Webhooks); SSF wraps it in a signed SET (RFC 8935).
/// </summary>
public interface IPushChannel
{
    DestinationKind Kind { get; }

    /// <summary>
    /// Whether the destination receives this event, beyond <see cref="Destination.Allows(StoredEvent)"/> (an SSF
    /// stream's subjects, a type with no SSF mapping). The engine asks this only of events the destination allows.
    /// </summary>
    bool Wants(Destination destination, StoredEvent stored) => true;

    /// <summary>The request for one event of the log.</summary>
    ValueTask<HttpRequestMessage> BuildAsync(Destination destination, StoredEvent stored, CancellationToken cancellationToken);

    /// <summary>The request for one outbox message (an SSF verification event).</summary>
    ValueTask<HttpRequestMessage> BuildAsync(Destination destination, OutboxMessage message, CancellationToken cancellationToken);

    /// <summary>Whether the receiver's answer means it accepted the message (webhooks: any 2xx; RFC 8935: 202).</summary>
    bool Accepted(HttpResponseMessage response) => response.IsSuccessStatusCode;
}

/// <summary>A message of <c>kavach_destination_outbox</c>: sent to one destination ahead of its next event.</summary>
public sealed record OutboxMessage(long Id, Guid Destination, string MessageId, string Kind, string Payload, DateTimeOffset CreatedAt);
