using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kavach.Tests.Delivery;

/// <summary>
/// One request a <see cref="WebhookReceiver"/> got: the Standard Webhooks headers, the body's exact bytes, and what the
/// receiver answered.
/// </summary>
internal sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string? ContentType, byte[] BodyBytes, bool SignatureValid)
{
    public int? Answered { get; set; }

    public string Body => Encoding.UTF8.GetString(BodyBytes);

    public JsonElement Json => JsonDocument.Parse(BodyBytes).RootElement;

    public string Type => Json.GetProperty("type").GetString()!;

    public long Sequence => Json.GetProperty("sequence").GetInt64();

    public string? AgentId => Json.TryGetProperty("agentId", out var agent) ? agent.GetString() : null;

    /// <summary>The entries of the webhook-signature header, e.g. <c>v1,base64</c>, one per signing secret.</summary>
    public IReadOnlyList<string> Signatures => Signature.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Which of the message's signatures <paramref name="secret"/> makes: the receiver's own HMAC-SHA256 over
    /// <c>id.timestamp.body</c> with the secret's base64 bytes (Standard Webhooks), independent of the sender's code.
    /// </summary>
    public int SignaturesMadeBy(string secret)
    {
        var expected = Encoding.ASCII.GetBytes("v1," + Convert.ToBase64String(WebhookReceiver.Sign(WebhookReceiver.KeyOf(secret), Id, Timestamp, BodyBytes)));
        return Signatures.Count(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }

    /// <summary>What a receiver that knows only <paramref name="secret"/> concludes: one of the signatures is its.</summary>
    public bool VerifiesWith(string secret) => SignaturesMadeBy(secret) > 0;
}
