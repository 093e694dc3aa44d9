using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Feed;
using Kavach.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>
/// The console's own bearer token for the stream API: the configured <c>StreamApi:Token</c>, or one it asks for with
/// its client credentials (OAuth 2.0, <c>grant_type=client_credentials</c>) and renews once 80 % of its lifetime has
/// passed — no restart, and no signing key in the console. It asks for <c>events:read</c>, plus <c>events:emit</c> only
/// when demo traffic is on, and shows what it was granted.
/// </summary>
public sealed class ServiceTokenProvider(
    IHttpClientFactory httpClientFactory,
    IOptions<StreamApiOptions> api,
    UpstreamStatusBoard status,
    TimeProvider time)
{
    public const string HttpClientName = "kavach-tokens";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _renewAt;

    /// <summary>What the console asks for: reading, and emitting only for demo traffic.</summary>
    public IReadOnlyList<string> Scopes => api.Value.EnableDemoTraffic
        ? [KavachScopes.Read, KavachScopes.Emit]
        : [KavachScopes.Read];

    /// <summary>When the current token will be replaced.</summary>
    internal DateTimeOffset RenewsAt => _renewAt;

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(api.Value.Token))
        {
            return api.Value.Token;
        }

        if (_token is { } current && time.GetUtcNow() < _renewAt)
        {
            return current;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || time.GetUtcNow() >= _renewAt)
            {
                await RenewAsync(cancellationToken);
            }

            return _token!;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var settings = api.Value;
        using var http = httpClientFactory.CreateClient(HttpClientName);
        using var response = await http.PostAsync(settings.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = settings.ClientId ?? "",
            ["client_secret"] = settings.ClientSecret ?? "",
            ["scope"] = string.Join(' ', Scopes),
        }), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"The token endpoint {settings.TokenEndpoint} refused the console's client credentials ({(int)response.StatusCode}): " +
                $"check {StreamApiOptions.Section}:ClientId and ClientSecret.", null, response.StatusCode);
        }

        var token = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken)
            ?? throw new HttpRequestException("The token endpoint answered no token.");
        var requestedAt = time.GetUtcNow();
        _token = token.AccessToken;
        _renewAt = requestedAt + TimeSpan.FromSeconds(token.ExpiresIn * 0.8);
        status.Update(s => s with { Scopes = token.Scope ?? string.Join(' ', Scopes) });
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
