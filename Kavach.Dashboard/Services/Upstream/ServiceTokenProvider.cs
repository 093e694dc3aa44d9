using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Feed;
using Kavach.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>
/// The console's own bearer tokens for the stream API: the configured <c>StreamApi:Token</c>, or ones it asks for with
/// its client credentials (OAuth 2.0, <c>grant_type=client_credentials</c>) and renews once 80 % of their lifetime has
/// passed — no restart, and no signing key in the console. The stream token asks for <c>events:read</c>, plus
/// <c>events:emit</c> only when demo traffic is on, and the status bar shows what it was granted. A second token, asked
/// for only when the destinations page or its watcher call the admin routes, carries <c>events:admin</c> alone: the
/// long-lived stream connection and every other call never hold the admin scope. A third, for raising alerts and
/// changing their state, carries <c>alerts:write</c> alone.
/// </summary>
public sealed class ServiceTokenProvider(
    IHttpClientFactory httpClientFactory,
    IOptions<StreamApiOptions> api,
    UpstreamStatusBoard status,
    TimeProvider time)
{
    public const string HttpClientName = "kavach-tokens";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<TokenPurpose, (string Token, DateTimeOffset RenewAt)> _tokens = [];

    /// <summary>What the console asks for its stream and reads: reading, and emitting only for demo traffic.</summary>
    public IReadOnlyList<string> Scopes => api.Value.EnableDemoTraffic
        ? [KavachScopes.Read, KavachScopes.Emit]
        : [KavachScopes.Read];

    /// <summary>When the current stream token will be replaced.</summary>
    internal DateTimeOffset RenewsAt => _tokens.TryGetValue(TokenPurpose.Stream, out var t) ? t.RenewAt : default;

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => GetTokenAsync(TokenPurpose.Stream, cancellationToken);

    /// <summary>A token with <c>events:admin</c> only, for the push destinations' admin routes.</summary>
    public ValueTask<string> GetAdminTokenAsync(CancellationToken cancellationToken) => GetTokenAsync(TokenPurpose.Admin, cancellationToken);

    /// <summary>A token with <c>alerts:write</c> only, for raising alerts and changing their state.</summary>
    public ValueTask<string> GetAlertsTokenAsync(CancellationToken cancellationToken) => GetTokenAsync(TokenPurpose.Alerts, cancellationToken);

    private IReadOnlyList<string> ScopesFor(TokenPurpose purpose) => purpose switch
    {
        TokenPurpose.Admin => [KavachScopes.Admin],
        TokenPurpose.Alerts => [KavachScopes.AlertsWrite],
        _ => Scopes,
    };

    private async ValueTask<string> GetTokenAsync(TokenPurpose purpose, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(api.Value.Token))
        {
            return api.Value.Token;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_tokens.TryGetValue(purpose, out var current) || time.GetUtcNow() >= current.RenewAt)
            {
                current = await RenewAsync(purpose, cancellationToken);
                _tokens[purpose] = current;
            }

            return current.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(string Token, DateTimeOffset RenewAt)> RenewAsync(TokenPurpose purpose, CancellationToken cancellationToken)
    {
        var settings = api.Value;
        var scopes = ScopesFor(purpose);
        using var http = httpClientFactory.CreateClient(HttpClientName);
        using var response = await http.PostAsync(settings.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = settings.ClientId ?? "",
            ["client_secret"] = settings.ClientSecret ?? "",
            ["scope"] = string.Join(' ', scopes),
        }), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(purpose != TokenPurpose.Stream && response.StatusCode == System.Net.HttpStatusCode.Forbidden
                ? $"The token endpoint {settings.TokenEndpoint} refused the console's client the {string.Join(' ', scopes)} scope (403): " +
                  $"register the client {settings.ClientId} with it (Kavach:Auth:Clients:N:Scopes) to " +
                  (purpose == TokenPurpose.Admin ? "manage push destinations." : "raise and change alerts.")
                : $"The token endpoint {settings.TokenEndpoint} refused the console's client credentials ({(int)response.StatusCode}): " +
                  $"check {StreamApiOptions.Section}:ClientId and ClientSecret.", null, response.StatusCode);
        }

        var token = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken)
            ?? throw new HttpRequestException("The token endpoint answered no token.");
        var requestedAt = time.GetUtcNow();
        if (purpose == TokenPurpose.Stream)
        {
            status.Update(s => s with { Scopes = token.Scope ?? string.Join(' ', scopes) });
        }

        return (token.AccessToken, requestedAt + TimeSpan.FromSeconds(token.ExpiresIn * 0.8));
    }

    private enum TokenPurpose
    {
        Stream,
        Admin,
        Alerts,
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("scope")] string? Scope);
}

/// <summary>Adds the console's bearer token to every request to the stream API.</summary>
public sealed class ServiceTokenHandler(ServiceTokenProvider tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization ??= new("Bearer", await tokens.GetTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Adds the console's <c>events:admin</c> token, for the destinations' admin routes only.</summary>
public sealed class AdminTokenHandler(ServiceTokenProvider tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization ??= new("Bearer", await tokens.GetAdminTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}
