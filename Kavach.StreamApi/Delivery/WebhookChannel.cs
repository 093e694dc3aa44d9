using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// Webhooks, signed per Standard Webhooks: the body is the event exactly as the stream serves it (with its sequence
/// and chain hash, <see cref="StoredEvent.WriteJson"/>), <c>webhook-id</c> the event's id — the same on every retry
/// and replica, so a receiver drops duplicates by it — <c>webhook-timestamp</c> the send time, and
/// <c>webhook-signature</c> a <c>v1,…</c> signature by every unexpired secret, space-separated (a rotation overlaps).
/// Any 2xx is accepted.
/// </summary>
public sealed class WebhookChannel(WebhookSigningKeys keys, TimeProvider time) : IPushChannel
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    public DestinationKind Kind => DestinationKind.Webhook;

    public async ValueTask<HttpRequestMessage> BuildAsync(Destination destination, StoredEvent stored, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>(stored.Body.Length + 128);
        stored.WriteJson(body);
        return await SignedAsync(destination, stored.Id, Encoding.UTF8.GetString(body.WrittenSpan), cancellationToken);
    }

    public ValueTask<HttpRequestMessage> BuildAsync(Destination destination, OutboxMessage message, CancellationToken cancellationToken) =>
        SignedAsync(destination, message.MessageId, message.Payload, cancellationToken);

    /// <summary>A signed POST of <paramref name="json"/> to the destination (also what a test message uses).</summary>
    public async ValueTask<HttpRequestMessage> SignedAsync(Destination destination, string messageId, string json, CancellationToken cancellationToken)
    {
        var signers = await keys.ForAsync(destination.Id, cancellationToken);
        if (signers.Count == 0)
        {
            throw new DeliveryNotReadyException("the webhook has no unexpired signing secret");
        }

        var timestamp = time.GetUtcNow();
        var signatures = string.Join(' ', signers.Select(signer => signer.Sign(messageId, timestamp, json)));
        var request = new HttpRequestMessage(HttpMethod.Post, destination.Url)
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation(IdHeader, messageId);
        request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(SignatureHeader, signatures);
        return request;
    }
}

/// <summary>A message cannot be built yet (a webhook without a secret): a failed attempt, retried like one, that contacts no one.</summary>
public sealed class DeliveryNotReadyException(string message) : Exception(message);
