using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Response;

/// <summary>
/// Tokens for the console's response credential only: the <c>StreamApi:ResponderClientId</c> client asks the token
/// endpoint for <c>events:revoke</c> and nothing else, and renews once 80 % of the token's lifetime has passed. Kept
/// apart from <see cref="Upstream.ServiceTokenProvider"/> on purpose: that one's client (the stream, reads, the admin
/// routes) never gets to revoke, and this one can never read or emit.
/// </summary>
public sealed class ResponderTokenProvider(IHttpClientFactory httpClientFactory, IOptions<StreamApiOptions> api, TimeProvider time)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Token, DateTimeOffset RenewAt)? _current;

    /// <summary>Whether the console was given the response credential at all.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(api.Value.ResponderClientId) && !string.IsNullOrEmpty(api.Value.ResponderClientSecret);

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (!IsConfigured)
        {
            throw new ResponseRequestException(
                $"The console has no response credential: set {StreamApiOptions.Section}:ResponderClientId and ResponderClientSecret " +
                $"(the AppHost passes its client kavach-console-responder, scope {KavachScopes.Revoke}).", null);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is not { } current || time.GetUtcNow() >= current.RenewAt)
            {
                current = await RequestAsync(cancellationToken);
                _current = current;
            }

            return current.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(string Token, DateTimeOffset RenewAt)> RequestAsync(CancellationToken cancellationToken)
    {
        var settings = api.Value;
        using var http = httpClientFactory.CreateClient(Upstream.ServiceTokenProvider.HttpClientName);
        using var response = await http.PostAsync(settings.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = settings.ResponderClientId!,
            ["client_secret"] = settings.ResponderClientSecret!,
            ["scope"] = KavachScopes.Revoke,
        }), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ResponseRequestException(
                $"The token endpoint {settings.TokenEndpoint} refused the response credential ({(int)response.StatusCode}): check " +
                $"{StreamApiOptions.Section}:ResponderClientId and ResponderClientSecret, and that the client is allowed {KavachScopes.Revoke}.",
                (int)response.StatusCode);
        }

        var requestedAt = time.GetUtcNow();
        var token = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken)
            ?? throw new ResponseRequestException("The token endpoint answered no token.", null);
        return (token.AccessToken, requestedAt + TimeSpan.FromSeconds(token.ExpiresIn * 0.8));
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}

/// <summary>Adds the response credential's <c>events:revoke</c> token, to the <see cref="ResponderClient"/>'s calls only.</summary>
public sealed class ResponderTokenHandler(ResponderTokenProvider tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization ??= new("Bearer", await tokens.GetTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}
