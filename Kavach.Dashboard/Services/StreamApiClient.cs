using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services;

/// <summary>
/// The stream API's JSON endpoints the console reads (health, pages, connection counts), reached through service
/// discovery with the console's service token. Emitting (demo traffic) goes through Kavach.Client, which retries safely.
/// </summary>
public sealed class StreamApiClient(HttpClient http)
{
    public const string EventsPath = "/api/kavach/events";

    public async Task<ApiHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("/health", cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new ApiHealth(response.IsSuccessStatusCode, body.Trim());
        }
        catch (HttpRequestException e)
        {
            return new ApiHealth(false, e.Message);
        }
    }

    /// <summary>One ascending page of persisted events.</summary>
    public async Task<EventPage> GetPageAsync(HistoryQuery query, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<EventPage>(query.ToPath(), KavachJson.Options, cancellationToken)
            ?? new EventPage([], null);

    public async Task<ConnectionCounts> GetConnectionsAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<ConnectionCounts>($"{EventsPath}/stream/connections", KavachJson.Options, cancellationToken)
            ?? new ConnectionCounts(0, 0);

    /// <summary>The API's verification of the hash chain from <paramref name="from"/> (or the oldest stored event) to the head.</summary>
    public async Task<ChainReport> VerifyChainAsync(long? from, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<ChainReport>(from is { } f ? $"{EventsPath}/verify?from={f}" : $"{EventsPath}/verify",
            KavachJson.Options, cancellationToken) ?? throw new HttpRequestException("The verification answer was empty.");
}

public sealed record ApiHealth(bool IsHealthy, string Status);

public sealed record ConnectionCounts(int Connections, int Total);

/// <summary>What <c>GET /api/kavach/events/verify</c> answers (the fields the console shows).</summary>
public sealed record ChainReport(long From, long To, long Head, bool Valid, long Checked, long? VerifiedThrough,
    ChainCheckpoint? Checkpoint, ChainBreak? Break, long Epoch = 1, ChainSigner? Signer = null, ChainWitness? Witness = null);

/// <summary>
/// The stored checkpoints compared with the witness outside PostgreSQL: a contradiction, a witnessed checkpoint deleted from
/// the database, or a stored one the witness lacks past its grace period is a break the console raises.
/// </summary>
public sealed record ChainWitness(bool Configured, IReadOnlyList<WitnessFinding>? Contradictions = null,
    IReadOnlyList<WitnessFinding>? MissingFromDatabase = null, IReadOnlyList<WitnessFinding>? MissingFromWitness = null, string? Error = null)
{
    /// <summary>
    /// The first finding, as a break: contradictions first, then deletions from the database, then what the witness lacks,
    /// then a witness that could not be read (the comparison was not made).
    /// </summary>
    public ChainBreak? FirstBreak(long head) =>
        First(Contradictions, "witness-contradiction") ?? First(MissingFromDatabase, "witness-deleted") ?? First(MissingFromWitness, "witness-missing")
        ?? (Error is { } error ? new ChainBreak(head, "witness-unreachable", $"The witness could not be compared: {error}") : null);

    private static ChainBreak? First(IReadOnlyList<WitnessFinding>? findings, string kind) =>
        findings is [var first, ..] ? new ChainBreak(first.Sequence, kind, $"Checkpoint {first.Epoch}:{first.Sequence}: {first.Detail}") : null;
}

public sealed record WitnessFinding(long Epoch, long Sequence, string Detail);

/// <summary>What the answering replica's checkpoint signer does; <c>refusing</c> means it saw the stored chain rewritten.</summary>
public sealed record ChainSigner(string State, string? Reason)
{
    public bool Refusing => string.Equals(State, "refusing", StringComparison.OrdinalIgnoreCase);
}

public sealed record ChainCheckpoint(long Epoch, long Sequence, string SignedAt, string KeyId);

public sealed record ChainBreak(long Sequence, string Kind, string Detail);

/// <summary>A query of <c>GET /api/kavach/events</c> (ascending, paged by <c>after</c>).</summary>
public sealed record HistoryQuery(
    long? After = null,
    IReadOnlyCollection<string>? Types = null,
    string? AgentId = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    int Limit = 100)
{
    public const int MaxLimit = 1000;

    public string ToPath()
    {
        var query = new StringBuilder(StreamApiClient.EventsPath).Append('?');
        query.Append("limit=").Append(Math.Clamp(Limit, 1, MaxLimit).ToString(CultureInfo.InvariantCulture));
        if (After is { } after)
        {
            query.Append("&after=").Append(after.ToString(CultureInfo.InvariantCulture));
        }

        if (Types is { Count: > 0 })
        {
            query.Append("&types=").Append(Uri.EscapeDataString(string.Join(',', Types)));
        }

        if (!string.IsNullOrWhiteSpace(AgentId))
        {
            query.Append("&agentId=").Append(Uri.EscapeDataString(AgentId.Trim()));
        }

        if (Since is { } since)
        {
            query.Append("&since=").Append(Uri.EscapeDataString(since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        if (Until is { } until)
        {
            query.Append("&until=").Append(Uri.EscapeDataString(until.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        return query.ToString();
    }
}
