using System.ComponentModel.DataAnnotations;

namespace Kavach.StreamApi.Options;

/// <summary>
/// Settings under <c>Kavach:Delivery</c>: the push delivery engine that sends the log to webhooks and SSF push streams
/// (docs/webhooks.md, "Retries and guarantees").
/// </summary>
public sealed class DeliveryOptions
{
    public const string Section = "Kavach:Delivery";

    /// <summary>Whether this replica sends at all (every replica may; one sends to each destination at a time).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a replica holds a destination without renewing: a dead replica's destinations move on after it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Requests in flight from one replica, over all destinations.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentSends { get; set; } = 64;

    /// <summary>Destinations one replica holds at once.</summary>
    [Range(1, 100_000)]
    public int MaxDestinationsPerReplica { get; set; } = 2_000;

    /// <summary>One attempt's whole time: connect, send, and the receiver's answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before the first retry; each next one doubles, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstRetry { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a destination may fail without a success before it is paused with an alert.</summary>
    public TimeSpan RetryHorizon { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Targets allowed although they are private, loopback or link-local (refused otherwise, against SSRF): addresses or
    /// CIDR ranges, such as <c>127.0.0.0/8</c> for tests on one machine.
    /// </summary>
    public string[] AllowedPrivateTargets { get; set; } = [];

    /// <summary>
    /// Accepted deliveries after which a destination's cursor is written to PostgreSQL at the latest (it moves in memory
    /// after each). A crash resends at most this many, under the same webhook-ids.
    /// </summary>
    [Range(1, 100_000)]
    public int CursorWriteEvery { get; set; } = 256;

    /// <summary>
    /// How long after the first delivery not yet written the cursor is written at the latest (also when the sender goes
    /// idle, records a failure or stops): the bound on how far behind the admin views' cursor and lag are.
    /// </summary>
    public TimeSpan CursorWriteAfter { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Destinations of all kinds the service keeps.</summary>
    [Range(1, 1_000_000)]
    public int MaxDestinations { get; set; } = 10_000;
}
