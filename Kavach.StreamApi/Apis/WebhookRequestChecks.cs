using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Delivery;
using Microsoft.AspNetCore.Http.Features;

namespace Kavach.StreamApi.Apis;

/// <summary>A webhook request's body as sent: its fields, and which of them were present (an update replaces only those).</summary>
public sealed record WebhookBody(WebhookRequest Request, IReadOnlySet<string> Present);

/// <summary>
/// The rules a webhook's definition must meet before anything is stored (docs/webhooks.md, "API"): a URL the sender
/// may reach (https, or http only to an allow-listed target or in Development; never a private, loopback or link-local
/// address unless allow-listed), known event types, and a read grant with the same rules as a token's claims
/// (<see cref="ReadGrant"/>, <see cref="IdText"/>). Each refusal names the field and says what is wrong.
/// </summary>
public sealed class WebhookRequestChecks(TargetPolicy policy)
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

    /// <summary>
    /// The target, or what is wrong with it: the engine's own <see cref="TargetPolicy"/> (the SSRF check it applies to
    /// every address it connects to), so the API refuses at once what the sender would never reach.
    /// </summary>
    public async Task<(Uri? Url, string? Error)> CheckUrlAsync(string? text, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "Required: the absolute https URL the webhook is delivered to.");
        }

        if (text.Length > MaxUrlLength || !Uri.TryCreate(text, UriKind.Absolute, out var url) || url.IsFile || url.IsUnc)
        {
            return (null, $"Must be an absolute https URL of at most {MaxUrlLength} characters, such as https://receiver.example.com/kavach.");
        }

        return await policy.CheckAsync(url, cancellationToken) is { } refused ? (null, refused) : (url, null);
    }

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
