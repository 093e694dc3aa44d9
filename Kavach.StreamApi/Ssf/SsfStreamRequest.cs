using System.Text.Json;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// A create, update (PATCH) or replace (PUT) body of the configuration endpoint (SSF §8.1.1), checked: what the receiver
/// supplies — <c>delivery</c> (method, <c>endpoint_url</c> when pushed, <c>authorization_header</c>),
/// <c>events_requested</c>, <c>description</c> — each with whether it was present, and the transmitter-supplied
/// members it sent, which an update must not contradict.
/// </summary>
public sealed record SsfStreamRequest(
    string? StreamId,
    bool HasDelivery,
    string Method,
    Uri? EndpointUrl,
    string? AuthorizationHeader,
    bool HasEventsRequested,
    IReadOnlyList<string>? EventsRequested,
    bool HasDescription,
    string? Description,
    JsonElement Body)
{
    public const int MaxDescriptionLength = 1000;
    public const int MaxEventsRequested = 100;
    public const int MaxHeaderLength = 4096;

    /// <summary>The request, or what is wrong with it (a 400's detail).</summary>
    public static SsfStreamRequest? Parse(JsonElement body, out string? error)
    {
        error = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "The body must be a JSON object: a stream configuration (SSF §8.1.1).";
            return null;
        }

        string? streamId = null;
        if (body.TryGetProperty("stream_id", out var id))
        {
            if (id.ValueKind != JsonValueKind.String)
            {
                error = "'stream_id' must be a string.";
                return null;
            }

            streamId = id.GetString();
        }

        var method = SsfStreamSettings.PollMethod; // SSF §8.1.1.1: no delivery means poll
        Uri? endpoint = null;
        string? header = null;
        var hasDelivery = body.TryGetProperty("delivery", out var delivery) && delivery.ValueKind != JsonValueKind.Null;
        if (hasDelivery)
        {
            if (delivery.ValueKind != JsonValueKind.Object)
            {
                error = "'delivery' must be an object with 'method' (urn:ietf:rfc:8935 push, urn:ietf:rfc:8936 poll) and, to push, 'endpoint_url'.";
                return null;
            }

            if (delivery.TryGetProperty("method", out var m))
            {
                if (m.ValueKind != JsonValueKind.String || m.GetString() is not (SsfStreamSettings.PushMethod or SsfStreamSettings.PollMethod))
                {
                    error = $"'delivery.method' must be '{SsfStreamSettings.PushMethod}' (push) or '{SsfStreamSettings.PollMethod}' (poll).";
                    return null;
                }

                method = m.GetString()!;
            }

            if (method == SsfStreamSettings.PushMethod)
            {
                if (!delivery.TryGetProperty("endpoint_url", out var url) || url.ValueKind != JsonValueKind.String
                    || !Uri.TryCreate(url.GetString(), UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("https" or "http")
                    || endpoint.UserInfo.Length > 0 || endpoint.Fragment.Length > 0)
                {
                    error = "A push stream needs 'delivery.endpoint_url': the absolute https URL SETs are POSTed to (no user info, no fragment).";
                    return null;
                }

                if (delivery.TryGetProperty("authorization_header", out var auth) && auth.ValueKind != JsonValueKind.Null)
                {
                    if (auth.ValueKind != JsonValueKind.String || auth.GetString() is not { Length: > 0 and <= MaxHeaderLength } value
                        || value.Any(char.IsControl))
                    {
                        error = $"'delivery.authorization_header' must be a header value of 1 to {MaxHeaderLength} characters without control characters.";
                        return null;
                    }

                    header = value;
                }
            }
        }

        IReadOnlyList<string>? requested = null;
        var hasRequested = body.TryGetProperty("events_requested", out var events) && events.ValueKind != JsonValueKind.Null;
        if (hasRequested)
        {
            if (events.ValueKind != JsonValueKind.Array || events.GetArrayLength() > MaxEventsRequested
                || events.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || e.GetString() is not { Length: > 0 and <= 500 }))
            {
                error = $"'events_requested' must be an array of at most {MaxEventsRequested} event type URIs (see 'events_supported').";
                return null;
            }

            requested = events.EnumerateArray().Select(e => e.GetString()!).Distinct(StringComparer.Ordinal).ToArray();
        }

        string? description = null;
        var hasDescription = body.TryGetProperty("description", out var text) && text.ValueKind != JsonValueKind.Null;
        if (hasDescription)
        {
            if (text.ValueKind != JsonValueKind.String)
            {
                error = "'description' must be a string.";
                return null;
            }

            description = text.GetString()!;
            if (description.Length > MaxDescriptionLength)
            {
                description = description[..MaxDescriptionLength]; // SSF §8.1.1: the transmitter may truncate it
            }

            if (!IsValidUnicode(description))
            {
                error = "'description' must be valid Unicode text (it holds an unpaired UTF-16 surrogate).";
                return null;
            }
        }

        return new SsfStreamRequest(streamId, hasDelivery, method, endpoint, header, hasRequested, requested, hasDescription, description, body);
    }

    /// <summary>
    /// An update or replacement may repeat transmitter-supplied members, but only with the values they have (SSF
    /// §8.1.1.3–4): null when it does, otherwise which one differs.
    /// </summary>
    public string? Contradiction(SsfStreamConfiguration current)
    {
        if ((Differs("iss", current.Issuer) ?? Differs("aud", current.Audience)) is { } differs)
        {
            return differs;
        }

        foreach (var (name, expected) in new[] { ("events_supported", current.EventsSupported), ("events_delivered", current.EventsDelivered) })
        {
            if (Body.TryGetProperty(name, out var given) && given.ValueKind != JsonValueKind.Null
                && (given.ValueKind != JsonValueKind.Array || !given.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : null)
                    .Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal))))
            {
                return $"'{name}' is supplied by the transmitter and does not match this stream's; leave it out or send it as read.";
            }
        }

        return null;
    }

    private static bool IsValidUnicode(string text)
    {
        try
        {
            _ = StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (System.Text.EncoderFallbackException)
        {
            return false;
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private string? Differs(string name, string expected) =>
        Body.TryGetProperty(name, out var given) && given.ValueKind != JsonValueKind.Null
        && !(given.ValueKind == JsonValueKind.String && given.GetString() == expected)
        && !(given.ValueKind == JsonValueKind.Array && given.GetArrayLength() == 1 && given[0].ValueKind == JsonValueKind.String && given[0].GetString() == expected)
            ? $"'{name}' is supplied by the transmitter and cannot change (it is '{expected}'); leave it out or send it as read."
            : null;
}
