using Kavach.Dashboard.Options;
using Kavach.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>
/// The console's own bearer token for the stream API: the configured <c>StreamApi:Token</c>, or one minted with the
/// shared signing key and renewed once 80 % of its lifetime has passed.
/// </summary>
public sealed class ServiceTokenProvider(IOptions<StreamApiOptions> api, IOptions<KavachAuthOptions> auth, TimeProvider time)
{
    public const string Subject = "kavach-console";

    private readonly Lock _gate = new();
    private string? _token;
    private DateTimeOffset _renewAt;

    /// <summary>Reading needs no scope; emitting (demo traffic, Development only) needs <c>events:emit</c>.</summary>
    public IReadOnlyList<string> Scopes => api.Value.EnableDemoTraffic ? [KavachTokens.EmitScope] : [];

    /// <summary>When the current minted token will be replaced.</summary>
    internal DateTimeOffset RenewsAt => _renewAt;

    public string GetToken()
    {
        if (!string.IsNullOrWhiteSpace(api.Value.Token))
        {
            return api.Value.Token;
        }

        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_token is null || now >= _renewAt)
            {
                var lifetime = api.Value.TokenLifetime;
                var key = auth.Value.SigningKey
                    ?? throw new InvalidOperationException($"Set {KavachTokens.SigningKeyKey} or {StreamApiOptions.Section}:Token.");
                _token = KavachTokens.Issue(key, Subject, Scopes, lifetime, auth.Value.Issuer, auth.Value.Audience);
                _renewAt = now + lifetime * 0.8;
            }

            return _token;
        }
    }
}

/// <summary>Adds the console's bearer token to every request to the stream API.</summary>
public sealed class ServiceTokenHandler(ServiceTokenProvider tokens) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization ??= new("Bearer", tokens.GetToken());
        return base.SendAsync(request, cancellationToken);
    }
}
