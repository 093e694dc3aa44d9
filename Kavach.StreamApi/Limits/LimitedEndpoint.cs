using Kavach.StreamApi.Options;

namespace Kavach.StreamApi.Limits;

/// <summary>The endpoints <c>Kavach:Limits</c> bounds.</summary>
public enum LimitedEndpoint
{
    Emit,
    ServiceTokens,
    DevelopmentTokens,
    Pages,
    Replay,
    Verify,
    Proofs,
    Destinations,
    Alerts,
}

/// <summary>Endpoint metadata: the limits of this endpoint apply (see <see cref="RequestLimits.WithLimits"/>).</summary>
public sealed record LimitedAs(LimitedEndpoint Endpoint);

internal static class LimitedEndpoints
{
    /// <summary>The endpoint's limits and the key they are set under.</summary>
    public static (string Key, RateLimit Limit) In(this LimitedEndpoint endpoint, LimitsOptions options) => endpoint switch
    {
        LimitedEndpoint.Emit => (LimitsOptions.KeyOf(nameof(options.Emit)), options.Emit),
        LimitedEndpoint.ServiceTokens or LimitedEndpoint.DevelopmentTokens => (LimitsOptions.KeyOf(nameof(options.Tokens)), options.Tokens),
        LimitedEndpoint.Pages => (LimitsOptions.KeyOf(nameof(options.Pages)), options.Pages),
        LimitedEndpoint.Replay => (LimitsOptions.KeyOf(nameof(options.Replay)), options.Replay),
        LimitedEndpoint.Verify => (LimitsOptions.KeyOf(nameof(options.Verify)), options.Verify),
        LimitedEndpoint.Proofs => (LimitsOptions.KeyOf(nameof(options.Proofs)), options.Proofs),
        LimitedEndpoint.Destinations => (LimitsOptions.KeyOf(nameof(options.Destinations)), options.Destinations),
        LimitedEndpoint.Alerts => (LimitsOptions.KeyOf(nameof(options.Alerts)), options.Alerts),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null),
    };

    /// <summary>Reads that hold a history connection while they run, so that only so many run at once.</summary>
    public static bool IsHistoryRead(this LimitedEndpoint endpoint) =>
        endpoint is LimitedEndpoint.Pages or LimitedEndpoint.Replay or LimitedEndpoint.Verify or LimitedEndpoint.Proofs;

    /// <summary>
    /// Its subject is a bearer token's (checked by <c>RequireToken</c>). The token endpoints have none: a service
    /// client's is its id once its secret matched, and a development token's is only what the caller asks for.
    /// </summary>
    public static bool HasTokenSubject(this LimitedEndpoint endpoint) =>
        endpoint is not (LimitedEndpoint.ServiceTokens or LimitedEndpoint.DevelopmentTokens);

    /// <summary>What a client asks for there, in a refusal's words: "too many pages".</summary>
    public static string Noun(this LimitedEndpoint endpoint) => endpoint switch
    {
        LimitedEndpoint.Emit => "emits",
        LimitedEndpoint.ServiceTokens or LimitedEndpoint.DevelopmentTokens => "token requests",
        LimitedEndpoint.Pages => "pages",
        LimitedEndpoint.Replay => "replays",
        LimitedEndpoint.Verify => "verifications",
        LimitedEndpoint.Proofs => "proofs",
        LimitedEndpoint.Destinations => "webhook and destination requests",
        LimitedEndpoint.Alerts => "alert requests",
        _ => endpoint.ToString(),
    };

    /// <summary>The endpoint as the metrics tag it.</summary>
    public static string Tag(this LimitedEndpoint endpoint) => endpoint switch
    {
        LimitedEndpoint.ServiceTokens => "service_tokens",
        LimitedEndpoint.DevelopmentTokens => "development_tokens",
        _ => endpoint.ToString().ToLowerInvariant(),
    };
}
