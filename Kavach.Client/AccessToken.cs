namespace Kavach.Client;

/// <summary>Asks the caller's callback for the token of one request; the token is never logged or traced.</summary>
internal static class AccessToken
{
    public static ValueTask<string?> GetAsync(KavachClientOptions options, CancellationToken cancellationToken) =>
        options.AccessTokenProvider is { } provider ? provider(cancellationToken) : ValueTask.FromResult<string?>(null);
}
