using Kavach.StreamApi.Events;
using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// Reads a validated token's JSON payload into a <see cref="Subscriber"/>: its subject, scopes, read grant, id and
/// times. Works on the payload itself, not on a claims principal: there a JSON <c>[]</c> or <c>null</c> becomes no claim
/// at all, which is how an empty narrowing claim once read everything.
/// </summary>
public static class TokenClaims
{
    public static bool TryRead(JsonElement payload, out Subscriber? subscriber, out string? error)
    {
        subscriber = null;
        if (!payload.TryGetProperty(KavachClaims.Subject, out var sub) || sub.ValueKind != JsonValueKind.String || sub.GetString() is not { Length: > 0 } subject)
        {
            error = "The token has no subject: its 'sub' claim must be a non-empty string.";
            return false;
        }

        // "scope" is the OAuth 2.0 claim (space-separated); Entra ID issues "scp". Either may be a string or an array.
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in new[] { KavachClaims.Scope, KavachClaims.EntraScope })
        {
            if (!TryAddScopes(payload, claim, scopes, out error))
            {
                return false;
            }
        }

        if (!ReadGrant.TryParse(payload, subject, out var reads, out error))
        {
            return false;
        }

        var tokenId = payload.TryGetProperty(KavachClaims.TokenId, out var jti) && jti.ValueKind == JsonValueKind.String ? jti.GetString() : null;
        subscriber = new Subscriber(subject, scopes, reads, tokenId, Time(payload, "iat"), Time(payload, "exp"));
        return true;
    }

    private static bool TryAddScopes(JsonElement payload, string claim, HashSet<string> scopes, out string? error)
    {
        error = null;
        if (!payload.TryGetProperty(claim, out var value))
        {
            return true;
        }

        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                error = $"The token's '{claim}' claim must be a space-separated string or an array of strings.";
                return false;
            }

            scopes.UnionWith(item.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        return true;
    }

    private static DateTimeOffset? Time(JsonElement payload, string claim) =>
        payload.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds)
            && seconds is >= -62135596800 and <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
}
