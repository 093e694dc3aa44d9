using System.ComponentModel.DataAnnotations;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Options;

/// <summary>Settings under <c>Kavach:Stream</c>.</summary>
public sealed class StreamOptions : IValidatableObject
{
    public const string Section = "Kavach:Stream";

    /// <summary>Streams require a valid bearer token. Turning this off is for local use only.</summary>
    public bool RequireAuth { get; set; } = true;

    /// <summary>
    /// Outside Development, <see cref="RequireAuth"/> off is refused at start unless this says, in its name, what it
    /// gives away: anyone who can reach the service reads every event and emits any. The revocation API keeps
    /// needing an admin token either way.
    /// </summary>
    public bool AllowAnyoneToReadAndEmit { get; set; }

    /// <summary>Concurrent streams per replica; beyond it new streams get 503.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 100;

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the ingress in front of the API lets a request go without bytes before it closes it (Azure Container
    /// Apps: 240 s). A heartbeat interval above half of it is refused at start-up: one late or lost heartbeat would
    /// let the ingress cut every quiet stream.
    /// </summary>
    public TimeSpan IngressIdleTimeout { get; set; } = TimeSpan.FromSeconds(240);

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

    /// <summary>
    /// Events one retention statement deletes (each batch is its own short transaction): small enough to stay far below
    /// the statement timeout and hold no lock for long, large enough to keep up with any emit rate.
    /// </summary>
    [Range(1, 100_000)]
    public int RetentionBatchSize { get; set; } = 1000;

    /// <summary>Concurrent streams from one client address per replica (0: no per-address limit).</summary>
    [Range(0, 1_000_000)]
    public int MaxConnectionsPerAddress { get; set; } = 50;

    /// <summary>Concurrent streams of one token subject per replica (0: no per-subject limit).</summary>
    [Range(0, 1_000_000)]
    public int MaxConnectionsPerSubject { get; set; } = 25;

    /// <summary>
    /// A stream whose socket takes no bytes for this long is aborted and its place freed: a reader that stops
    /// reading cannot hold a connection.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Recent committed events kept in memory per replica, shared by every stream: resumes within it are served
    /// without PostgreSQL, and a live stream that falls further behind than it holds is a slow consumer.
    /// </summary>
    [Range(1024, 10_000_000)]
    public int LiveBufferEvents { get; set; } = 100_000;

    /// <summary>The live buffer's size limit in bytes of SSE frames (whichever of the two limits is reached first).</summary>
    [Range(64 * 1024, 16L * 1024 * 1024 * 1024)]
    public long LiveBufferBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// Streams catching up (replaying history, or more than <see cref="CatchUpChunkBytes"/> behind) that may write at
    /// once on a replica; the others wait their turn, so a reconnect storm cannot starve live delivery.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxConcurrentCatchUps { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Bytes a catching-up stream writes per turn before it lets the others go.</summary>
    [Range(4 * 1024, 64 * 1024 * 1024)]
    public int CatchUpChunkBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// A stream that is catching up must get closer to the head: one that has not, over this much time spent writing
    /// to it, is slower than the stream itself and is disconnected.
    /// </summary>
    public TimeSpan CatchUpProgressWindow { get; set; } = TimeSpan.FromSeconds(20);

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

        if (HeartbeatInterval > IngressIdleTimeout / 2)
        {
            yield return new ValidationResult(
                $"{Section}:HeartbeatInterval ({HeartbeatInterval}) must be at most half of {Section}:IngressIdleTimeout " +
                $"({IngressIdleTimeout}, the time an idle request survives the ingress; 240 s on Azure Container Apps), i.e. " +
                $"at most {IngressIdleTimeout / 2}: otherwise the ingress closes quiet streams between heartbeats.",
                [nameof(HeartbeatInterval), nameof(IngressIdleTimeout)]);
        }

        foreach (var (name, value, min) in new[]
                 {
                     (nameof(HeartbeatInterval), HeartbeatInterval, TimeSpan.FromSeconds(1)),
                     (nameof(IngressIdleTimeout), IngressIdleTimeout, TimeSpan.FromSeconds(2)),
                     (nameof(ReconnectDelay), ReconnectDelay, TimeSpan.FromMilliseconds(100)),
                     (nameof(Retention), Retention, TimeSpan.FromMinutes(1)),
                     (nameof(RetentionSweepInterval), RetentionSweepInterval, TimeSpan.FromSeconds(1)),
                     (nameof(CatchUpInterval), CatchUpInterval, TimeSpan.FromMilliseconds(50)),
                     (nameof(WriteTimeout), WriteTimeout, TimeSpan.FromSeconds(1)),
                     (nameof(CatchUpProgressWindow), CatchUpProgressWindow, TimeSpan.FromSeconds(1)),
                 })
        {
            if (value < min)
            {
                yield return new ValidationResult($"{Section}:{name} must be at least {min} (it is {value}).", [name]);
            }
        }
    }
}
