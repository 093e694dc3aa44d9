using System.ComponentModel.DataAnnotations;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Options;

/// <summary>Settings under <c>Kavach:Stream</c>.</summary>
public sealed class StreamOptions : IValidatableObject
{
    public const string Section = "Kavach:Stream";

    /// <summary>Streams require a valid bearer token. Turning this off is for local use only.</summary>
    public bool RequireAuth { get; set; } = true;

    /// <summary>Concurrent streams per replica; beyond it new streams get 503.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 100;

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The reconnection delay the stream asks EventSource clients to use (the SSE <c>retry:</c> field).</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Module-level allow-list: no client can receive a type outside it. Empty means all 12 types.</summary>
    public List<string> EventTypes { get; set; } = [];

    /// <summary>
    /// Browser origins allowed to call the API cross-origin (CORS), e.g. <c>https://soc.example.com</c>; <c>*</c> for
    /// any. Empty (the default) allows none, except in Development where any origin may call.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>How long committed events are kept for replay.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Events a connection may have queued before it counts as a slow consumer and is disconnected.</summary>
    [Range(16, 1_000_000)]
    public int SubscriberQueueCapacity { get; set; } = 1024;

    /// <summary>How often each replica checks PostgreSQL for events it did not hear about through Redis.</summary>
    public TimeSpan CatchUpInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Events read from PostgreSQL per query while replaying.</summary>
    [Range(1, 10_000)]
    public int ReplayPageSize { get; set; } = 500;

    /// <summary>Largest emit request body, in bytes (413 above it).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest serialized <c>data</c> of one event, in bytes (413 above it).</summary>
    [Range(64, 16 * 1024 * 1024)]
    public int MaxEventDataBytes { get; set; } = 64 * 1024;

    /// <summary>Most events in one emit batch (413 above it).</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 1000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var type in EventTypes.Where(t => !EventTypeCatalog.IsKnown(t)))
        {
            yield return new ValidationResult(
                $"{Section}:EventTypes contains the unknown type '{type}'. Valid types: {EventTypeCatalog.AllAsText}.",
                [nameof(EventTypes)]);
        }

        foreach (var (name, value, min) in new[]
                 {
                     (nameof(HeartbeatInterval), HeartbeatInterval, TimeSpan.FromSeconds(1)),
                     (nameof(ReconnectDelay), ReconnectDelay, TimeSpan.FromMilliseconds(100)),
                     (nameof(Retention), Retention, TimeSpan.FromMinutes(1)),
                     (nameof(RetentionSweepInterval), RetentionSweepInterval, TimeSpan.FromSeconds(1)),
                     (nameof(CatchUpInterval), CatchUpInterval, TimeSpan.FromMilliseconds(50)),
                 })
        {
            if (value < min)
            {
                yield return new ValidationResult($"{Section}:{name} must be at least {min} (it is {value}).", [name]);
            }
        }
    }
}
