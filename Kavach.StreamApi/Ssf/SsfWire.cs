using System.Text.Json.Serialization;

namespace Kavach.StreamApi.Ssf;

// The JSON of the SSF 1.0 management API and of RFC 8936 poll answers, spelled as the specifications spell it.

/// <summary>Transmitter configuration metadata (SSF §7.1), served at <c>/.well-known/ssf-configuration</c>.</summary>
public sealed record SsfTransmitterConfiguration(
    [property: JsonPropertyName("spec_version")] string SpecVersion,
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("delivery_methods_supported")] IReadOnlyList<string> DeliveryMethodsSupported,
    [property: JsonPropertyName("configuration_endpoint")] string ConfigurationEndpoint,
    [property: JsonPropertyName("status_endpoint")] string StatusEndpoint,
    [property: JsonPropertyName("add_subject_endpoint")] string AddSubjectEndpoint,
    [property: JsonPropertyName("remove_subject_endpoint")] string RemoveSubjectEndpoint,
    [property: JsonPropertyName("verification_endpoint")] string VerificationEndpoint,
    [property: JsonPropertyName("authorization_schemes")] IReadOnlyList<SsfAuthorizationScheme> AuthorizationSchemes,
    [property: JsonPropertyName("default_subjects")] string DefaultSubjects);

/// <summary>SSF §7.1.1: how receivers authorize (OAuth 2.0).</summary>
public sealed record SsfAuthorizationScheme([property: JsonPropertyName("spec_urn")] string SpecUrn);

/// <summary>A stream's configuration (SSF §8.1.1) as receivers read it: never the authorization header they gave.</summary>
public sealed record SsfStreamConfiguration(
    [property: JsonPropertyName("stream_id")] string StreamId,
    [property: JsonPropertyName("iss")] string Issuer,
    [property: JsonPropertyName("aud")] string Audience,
    [property: JsonPropertyName("events_supported")] IReadOnlyList<string> EventsSupported,
    [property: JsonPropertyName("events_requested"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? EventsRequested,
    [property: JsonPropertyName("events_delivered")] IReadOnlyList<string> EventsDelivered,
    [property: JsonPropertyName("delivery")] SsfDelivery Delivery,
    [property: JsonPropertyName("description"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description)
{
    public static SsfStreamConfiguration Of(SsfStream stream) => new(
        stream.StreamId,
        stream.Settings.Issuer,
        stream.Settings.Audience,
        CaepRiscMapping.Supported,
        stream.Settings.EventsRequested,
        stream.EventsDelivered,
        new SsfDelivery(stream.Settings.Method, stream.EndpointUrl),
        stream.Destination.Description);
}

public sealed record SsfDelivery(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("endpoint_url")] string EndpointUrl);

/// <summary>A stream's status (SSF §8.1.2).</summary>
public sealed record SsfStreamStatus(
    [property: JsonPropertyName("stream_id")] string StreamId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

/// <summary>RFC 8936 §2.4: the SETs of one poll, by <c>jti</c>, and whether more are waiting.</summary>
public sealed record SsfPollAnswer(
    [property: JsonPropertyName("sets")] IReadOnlyDictionary<string, string> Sets,
    [property: JsonPropertyName("moreAvailable")] bool MoreAvailable);

/// <summary>RFC 8936 §2.2: acknowledgements and errors for SETs received, and how many more to return, how soon.</summary>
public sealed record SsfPollRequest(
    IReadOnlyList<string> Acknowledged,
    IReadOnlyDictionary<string, SsfSetError> Errors,
    int? MaxEvents,
    bool ReturnImmediately);

/// <summary>RFC 8935 §2.3 / RFC 8936 §2.4.4: a receiver's error for one SET.</summary>
public sealed record SsfSetError(string Err, string? Description);
