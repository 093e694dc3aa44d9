using System.Text;
using Kavach.Contracts;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Alerts;

/// <summary>
/// The rules an alert request must meet before anything is read or stored (docs/api.md, "Alerts"): names as the emit
/// rules take ids (<see cref="IdText"/>), texts within <see cref="AlertLimits"/> with no control character but line
/// breaks and tabs, 1 to <see cref="AlertLimits.EvidenceCount"/> positive sequences, a known state and entity kind.
/// Each refusal names the field.
/// </summary>
public static class AlertRequestChecks
{
    /// <summary>The raise as the store takes it, or every field that is wrong.</summary>
    public static (NewAlert? Alert, Dictionary<string, string[]> Errors) CheckRaise(AlertRaise? request, string raisedBy)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["Send a JSON object with rule, kind, entityKind, entity, title, evidence and optionally detail, dedupeWindowSeconds, notifyDestination."];
            return (null, errors);
        }

        Name(errors, "rule", request.Rule, AlertLimits.RuleLength);
        Name(errors, "kind", request.Kind, AlertLimits.KindLength);
        Name(errors, "entity", request.Entity, AlertLimits.EntityLength);
        if (!AlertEntityKinds.All.Contains(request.EntityKind ?? ""))
        {
            errors["entityKind"] = [$"Must be one of {string.Join(", ", AlertEntityKinds.All)}."];
        }

        Text(errors, "title", request.Title, AlertLimits.TitleLength, required: true);
        Text(errors, "detail", request.Detail, AlertLimits.DetailLength, required: false);

        var evidence = request.Evidence ?? [];
        if (evidence.Count is 0 or > AlertLimits.EvidenceCount)
        {
            errors["evidence"] = [$"Must list 1 to {AlertLimits.EvidenceCount} event sequences."];
        }
        else if (evidence.Any(s => s < 1))
        {
            errors["evidence"] = ["Event sequences start at 1."];
        }

        if (request.DedupeWindowSeconds is < 1 or > AlertLimits.DedupeWindowSeconds)
        {
            errors["dedupeWindowSeconds"] = [$"Must be 1 to {AlertLimits.DedupeWindowSeconds} seconds, or absent."];
        }

        if (request.NotifyDestination == Guid.Empty)
        {
            errors["notifyDestination"] = ["Must be a destination's id, or absent."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new NewAlert(request.Rule!, request.Kind!, request.EntityKind!, request.Entity!, request.Title!, request.Detail,
            [.. evidence.Distinct().Order()], request.DedupeWindowSeconds, request.NotifyDestination, raisedBy), errors);
    }

    /// <summary>Every field of a state change that is wrong (none: the change may be tried).</summary>
    public static Dictionary<string, string[]> CheckChange(AlertStateChange? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["Send a JSON object with state (open, acknowledged or resolved), by (the person) and optionally note."];
            return errors;
        }

        if (!AlertStates.All.Contains(request.State ?? ""))
        {
            errors["state"] = [$"Must be one of {string.Join(", ", AlertStates.All)}."];
        }

        Name(errors, "by", request.By, AlertLimits.ByLength);
        Text(errors, "note", request.Note, AlertLimits.NoteLength, required: false);
        return errors;
    }

    /// <summary>What is wrong with a list's filters, or null.</summary>
    public static string? CheckList(string? state, string? rule, string? entityKind, string? entity, long? before, int? limit)
    {
        if (state is not null && !AlertStates.All.Contains(state))
        {
            return $"'state' must be one of {string.Join(", ", AlertStates.All)}.";
        }

        if (entityKind is not null && !AlertEntityKinds.All.Contains(entityKind))
        {
            return $"'entityKind' must be one of {string.Join(", ", AlertEntityKinds.All)}.";
        }

        foreach (var (name, value) in new[] { ("rule", rule), ("entity", entity) })
        {
            if (value is not null && IdText.Check(value) is { } error)
            {
                return $"'{name}': {error}";
            }
        }

        if (before is < 1)
        {
            return "'before' is a page's 'next' (an alert id, 1 or more).";
        }

        return limit is < 1 or > AlertLimits.PageSize ? $"'limit' must be 1 to {AlertLimits.PageSize}." : null;
    }

    private static void Name(Dictionary<string, string[]> errors, string field, string? value, int maxLength)
    {
        if (value is null)
        {
            errors[field] = ["Required."];
        }
        else if (value.Length > maxLength)
        {
            errors[field] = [$"Must be 1 to {maxLength} characters."];
        }
        else if (IdText.Check(value) is { } error)
        {
            errors[field] = [error];
        }
    }

    private static void Text(Dictionary<string, string[]> errors, string field, string? value, int maxLength, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                errors[field] = ["Required."];
            }
        }
        else if (value.Length > maxLength || (required && string.IsNullOrWhiteSpace(value)))
        {
            errors[field] = [$"Must be {(required ? 1 : 0)} to {maxLength} characters{(required ? ", not only spaces" : "")}."];
        }
        else if (value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            errors[field] = ["Must not contain control characters other than line breaks and tabs."];
        }
        else if (!IsWellFormed(value))
        {
            errors[field] = ["Must be valid Unicode: it holds an unpaired UTF-16 surrogate."];
        }
    }

    private static bool IsWellFormed(string value)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(value);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
