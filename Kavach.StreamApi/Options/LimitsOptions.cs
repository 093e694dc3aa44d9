namespace Kavach.StreamApi.Options;

/// <summary>
/// Settings under <c>Kavach:Limits</c>: how much one client may ask of one replica. Rates are counted per token
/// subject (after the token is checked) and per client address (before it is), each as "at most N per window"; the
/// reads that hold a history connection while they run also have a number allowed at once per replica. 0 turns a
/// rate off. Validated at start by <see cref="LimitsValidation"/>.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "Kavach:Limits";

    /// <summary><c>POST /api/kavach/events</c>: a request counts once, whatever its batch holds.</summary>
    public RateLimit Emit { get; set; } = new() { PerSubject = 60_000, PerAddress = 120_000 };

    /// <summary>
    /// <c>POST /api/kavach/tokens</c> and (Development) <c>POST /api/kavach/dev/tokens</c>. Per address counts every
    /// attempt; per subject counts the tokens a service client got with its right secret — so nobody without the
    /// secret can use up a client's own allowance.
    /// </summary>
    public RateLimit Tokens { get; set; } = new() { PerSubject = 20, PerAddress = 30 };

    /// <summary><c>GET /api/kavach/events</c>.</summary>
    public ReadLimit Pages { get; set; } = new() { PerSubject = 1_200, PerAddress = 2_400, Concurrent = 2, Queue = 4 };

    /// <summary><c>GET /api/kavach/events/replay</c>.</summary>
    public ReadLimit Replay { get; set; } = new() { PerSubject = 120, PerAddress = 240, Concurrent = 1, Queue = 2 };

    /// <summary><c>GET /api/kavach/events/verify</c>, whose cost is also counted in events per subject.</summary>
    public VerifyLimit Verify { get; set; } = new()
    {
        PerSubject = 100, PerAddress = 200, Window = TimeSpan.FromMinutes(10), Concurrent = 1, Queue = 2, EventsPerSubject = 10_000_000,
    };

    /// <summary><c>GET /api/kavach/events/proofs/inclusion</c> and <c>/consistency</c> (one statement each, milliseconds).</summary>
    public ReadLimit Proofs { get; set; } = new() { PerSubject = 6_000, PerAddress = 12_000, Concurrent = 1, Queue = 16 };

    /// <summary>
    /// <c>/api/kavach/webhooks</c> and <c>/api/kavach/destinations</c> (admin): each request counts, a test message
    /// (which the API sends out itself) too.
    /// </summary>
    public RateLimit Destinations { get; set; } = new() { PerSubject = 600, PerAddress = 1_200 };

    /// <summary>
    /// <c>/api/kavach/alerts</c>: reads, raises and state changes. Every console instance shares one client, so its
    /// subject's allowance is wide: the instances poll the list and each raises what its rules see.
    /// </summary>
    public RateLimit Alerts { get; set; } = new() { PerSubject = 6_000, PerAddress = 12_000 };

    /// <summary>Each group's limits, with the key they are set under (<c>Kavach:Limits:Pages</c>…).</summary>
    internal IEnumerable<(string Key, RateLimit Limit)> Groups =>
    [
        (KeyOf(nameof(Emit)), Emit),
        (KeyOf(nameof(Tokens)), Tokens),
        (KeyOf(nameof(Pages)), Pages),
        (KeyOf(nameof(Replay)), Replay),
        (KeyOf(nameof(Verify)), Verify),
        (KeyOf(nameof(Proofs)), Proofs),
        (KeyOf(nameof(Destinations)), Destinations),
        (KeyOf(nameof(Alerts)), Alerts),
    ];

    internal static string KeyOf(string group) => $"{Section}:{group}";
}

/// <summary>At most <see cref="PerSubject"/> requests of one token subject and <see cref="PerAddress"/> of one client address per <see cref="Window"/>.</summary>
public class RateLimit
{
    public int PerSubject { get; set; }

    public int PerAddress { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>A read that holds a history connection while it runs: also at most <see cref="Concurrent"/> at once per replica.</summary>
public class ReadLimit : RateLimit
{
    public int Concurrent { get; set; } = 1;

    /// <summary>Requests that may wait for a place (in arrival order) before the next ones are refused.</summary>
    public int Queue { get; set; }
}

public sealed class VerifyLimit : ReadLimit
{
    /// <summary>Events one subject may have verified per <see cref="RateLimit.Window"/> (0: no budget), each request charged its whole range up front.</summary>
    public int EventsPerSubject { get; set; }
}
