using System.Collections.Frozen;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Apis;

/// <summary>A webhook request's body as sent: its fields, and which of them were present (an update replaces only those).</summary>
public sealed record WebhookBody(WebhookRequest Request, IReadOnlySet<string> Present);

/// <summary>
/// The rules a webhook's definition must meet before anything is stored (docs/webhooks.md, "API"): a URL the sender
/// may reach (https, or http only to an allow-listed target or in Development; never a private, loopback or link-local
/// address unless allow-listed), known event types, and a read grant with the same rules as a token's claims
/// (<see cref="ReadGrant"/>, <see cref="IdText"/>). Each refusal names the field and says what is wrong.
/// </summary>
public sealed class WebhookRequestChecks(IHostEnvironment environment, IOptions<DeliveryOptions> options)
{
    public const int MaxBodyBytes = 1 << 20;
    public const int MaxUrlLength = 2_000;
    public const int MaxDescriptionLength = 500;

    public static readonly IReadOnlyList<string> Fields = ["url", "description", "eventTypes", "grant", "fromSequence"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The request's JSON object, or the 400 (or 413) that says why it is not one.</summary>
    public static async Task<(WebhookBody? Body, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Refused)> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return (null, Problems.TooLarge($"A webhook request is at most {MaxBodyBytes} bytes."));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxBodyBytes;
        }

        JsonElement root;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"The body must be a JSON object with the fields {string.Join(", ", Fields)}: {e.Message} Nothing was stored."));
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, Problems.BadRequest($"The body must be a JSON object with the fields {string.Join(", ", Fields)}. Nothing was stored."));
        }

        try
        {
            var request = root.Deserialize<WebhookRequest>(Json) ?? new WebhookRequest();
            var present = root.EnumerateObject().Select(p => Fields.FirstOrDefault(f => f.Equals(p.Name, StringComparison.OrdinalIgnoreCase)))
                .OfType<string>().ToFrozenSet(StringComparer.Ordinal);
            return (new WebhookBody(request, present), null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 2 } path ? $"'{path[2..]}'" : "A field";
            return (null, Problems.BadRequest($"{where} has the wrong shape or is not a field (fields: {string.Join(", ", Fields)}; a grant has " +
                "types, agents and users, each null or an array of strings). Nothing was stored."));
        }
    }

    /// <summary>The target, or what is wrong with it.</summary>
    public (Uri? Url, string? Error) CheckUrl(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "Required: the absolute https URL the webhook is delivered to.");
        }

        if (text.Length > MaxUrlLength || !Uri.TryCreate(text, UriKind.Absolute, out var url) || url.IsFile || url.IsUnc)
        {
            return (null, $"Must be an absolute https URL of at most {MaxUrlLength} characters.");
        }

        if (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
        {
            return (null, "Must be an https URL.");
        }

        if (!string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Fragment))
        {
            return (null, "Must not hold a user name, a password or a fragment: the URL is shown to every admin; authenticate the " +
                "sender by the webhook's signature instead.");
        }

        var allowListed = IsAllowListed(url);
        if (url.Scheme == Uri.UriSchemeHttp && !allowListed && !environment.IsDevelopment())
        {
            return (null, $"Must be https: plain http is taken only for a target in {DeliveryOptions.Section}:AllowedPrivateTargets, or in Development.");
        }

        return CheckTarget(url, allowListed) is { } refused ? (null, refused) : (url, null);
    }

    // ── TargetPolicy plugs in here ─────────────────────────────────────────────────────────────────────────────────
    // Helper A's TargetPolicy (the engine's SSRF check on the address actually connected) replaces IsAllowListed and
    // CheckTarget below, so the API refuses at create exactly what the sender would refuse to connect to. Until then:
    // literal addresses and localhost only.
    private bool IsAllowListed(Uri url) =>
        IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var address)
        && options.Value.AllowedPrivateTargets.Select(Range).Any(r => r?.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address) == true);

    private static IPNetwork? Range(string target) =>
        IPNetwork.TryParse(target, out var range) ? range
        : IPAddress.TryParse(target, out var single) ? new IPNetwork(single, single.GetAddressBytes().Length * 8)
        : null;

    private static string? CheckTarget(Uri url, bool allowListed)
    {
        if (allowListed)
        {
            return null;
        }

        var host = url.IdnHost.Trim('[', ']');
        var isPrivate = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IsPrivate(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));
        return isPrivate
            ? $"'{url.Host}' is a private, loopback or link-local target, which webhooks may not reach (against SSRF) unless it is in {DeliveryOptions.Section}:AllowedPrivateTargets."
            : null;
    }

    private static bool IsPrivate(IPAddress address)
    {
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return true;
        }

        var b = address.GetAddressBytes();
        return b.Length == 4 && (b[0] is 0 or 10 or 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254) || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && b[1] is >= 64 and <= 127));
    }
    // ── end of the TargetPolicy call site ──────────────────────────────────────────────────────────────────────────

    public static string? CheckDescription(string? description) =>
        description is null ? null
        : description.Length > MaxDescriptionLength ? $"At most {MaxDescriptionLength} characters."
        : description.Any(char.IsControl) ? "Must not contain control characters."
        : null;

    /// <summary>Null (every type the grant allows), or the types asked for, known and each once.</summary>
    public static (IReadOnlyList<string>? Types, string? Error) CheckEventTypes(IReadOnlyList<string>? types)
    {
        if (types is null)
        {
            return (null, null);
        }

        if (types.Count == 0)
        {
            return (null, "Must name at least one type, or be left out (or null) for every type the grant allows.");
        }

        if (FirstUnknown(types) is { } unknown)
        {
            return (null, unknown);
        }

        return ([.. types.Distinct(StringComparer.Ordinal)], null);
    }

    /// <summary>
    /// The grant as a token's claims would give it: null lists read any, an empty list nothing; types must be known,
    /// agents and users follow the id rules. Errors are keyed by the field (<c>grant.agents</c>).
    /// </summary>
    public static ReadGrant CheckGrant(DestinationGrant? grant, Dictionary<string, string[]> errors)
    {
        if (grant is null)
        {
            return ReadGrant.Everything;
        }

        if (grant.Types is not null && FirstUnknown(grant.Types) is { } unknown)
        {
            errors["grant.types"] = [unknown];
        }

        foreach (var (name, values) in new[] { ("grant.agents", grant.Agents), ("grant.users", grant.Users) })
        {
            for (var i = 0; i < (values?.Count ?? 0); i++)
            {
                if ((values![i] is null ? "Must be a string." : IdText.Check(values[i])) is { } error)
                {
                    errors[name] = [$"[{i}]: {error} (the rule for a token's claims and an event's ids)"];
                    break;
                }
            }
        }

        return new ReadGrant(Set(grant.Types), Set(grant.Agents), Set(grant.Users));
    }

    private static string? FirstUnknown(IReadOnlyList<string> types) =>
        types.Any(t => t is null || !EventTypeCatalog.IsKnown(t))
            ? $"'{Shorten(types.First(t => t is null || !EventTypeCatalog.IsKnown(t)))}' is not an event type. Types: {EventTypeCatalog.AllAsText}."
            : null;

    private static FrozenSet<string>? Set(IReadOnlyList<string>? values) => values?.ToFrozenSet(StringComparer.Ordinal);

    private static string Shorten(string? value) => value is null ? "null" : value.Length <= 64 ? value : value[..64] + "…";
}
