using System.Text.Json;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Emit;

/// <summary>What is wrong with an emit: field errors (400) or a size limit passed (413).</summary>
public sealed record EmitRejection(IDictionary<string, string[]> Errors, bool TooLarge = false);

/// <summary>
/// Checks drafts and turns them into events ready to commit. The one place the emit rules live, for HTTP and
/// in-process callers alike; a batch with any bad event is rejected whole.
/// </summary>
public sealed class EventValidator(IOptions<StreamOptions> options, TimeProvider time)
{
    public const int MaxIdLength = 200;

    private readonly StreamOptions _options = options.Value;

    public IReadOnlyList<NewEvent> Validate(IReadOnlyList<EventDraft> drafts, bool isBatch, out EmitRejection? rejection)
    {
        var errors = new Dictionary<string, string[]>();
        var tooLarge = false;

        if (drafts.Count == 0)
        {
            errors[""] = ["The batch is empty: send at least one event."];
        }
        else if (drafts.Count > _options.MaxBatchSize)
        {
            errors[""] = [$"A batch holds at most {_options.MaxBatchSize} events; this one has {drafts.Count}."];
            tooLarge = true;
        }

        var now = time.GetUtcNow();
        var events = new List<NewEvent>(drafts.Count);
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < drafts.Count && !tooLarge; i++)
        {
            var draft = drafts[i];
            var prefix = isBatch ? $"[{i}]." : "";
            void Error(string field, string message) => errors[prefix + field] = [message];

            if (string.IsNullOrEmpty(draft.Type))
            {
                Error("type", $"Required. One of: {EventTypeCatalog.AllAsText}.");
            }
            else if (!EventTypeCatalog.IsKnown(draft.Type))
            {
                Error("type", $"Unknown event type '{draft.Type}'. One of: {EventTypeCatalog.AllAsText}.");
            }

            var dataJson = "{}";
            if (draft.Data is { } data)
            {
                if (data.ValueKind != JsonValueKind.Object)
                {
                    Error("data", $"Must be a JSON object, not {data.ValueKind.ToString().ToLowerInvariant()}.");
                }
                else
                {
                    dataJson = data.GetRawText();
                    if (System.Text.Encoding.UTF8.GetByteCount(dataJson) > _options.MaxEventDataBytes)
                    {
                        Error("data", $"Larger than {_options.MaxEventDataBytes} bytes.");
                        tooLarge = true;
                    }
                }
            }

            CheckText(draft.Id, "id", Error);
            CheckText(draft.AgentId, "agentId", Error);
            CheckText(draft.UserId, "userId", Error);

            var id = draft.Id ?? Guid.CreateVersion7(now).ToString();
            if (!seenIds.Add(id))
            {
                Error("id", $"The id '{id}' appears more than once in this batch.");
            }

            events.Add(new NewEvent(id, draft.Type ?? "", TruncateToMicroseconds(draft.Timestamp ?? now), dataJson,
                draft.AgentId, draft.UserId));
        }

        rejection = errors.Count == 0 ? null : new EmitRejection(errors, tooLarge);
        return rejection is null ? events : [];
    }

    private static void CheckText(string? value, string field, Action<string, string> error)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length is 0 or > MaxIdLength)
        {
            error(field, $"Must be 1 to {MaxIdLength} characters.");
        }
        else if (value.Any(char.IsControl))
        {
            error(field, "Must not contain control characters.");
        }
    }

    /// <summary>PostgreSQL keeps microseconds; the answer to an emit must match what replay returns later.</summary>
    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);
}
