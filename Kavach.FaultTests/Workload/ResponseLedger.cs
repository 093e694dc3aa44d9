using System.Collections.Concurrent;

namespace Kavach.FaultTests.Workload;

public enum RequestKind
{
    Emit,
    Stream,
}

/// <summary>One answer (or transport failure, with <see cref="Status"/> null) to a request the workload made.</summary>
public sealed record Response(RequestKind Kind, int Replica, int? Status, string? Error, long Start, long End, string? Body = null);

/// <summary>Every answer the scenario's clients got, to classify at the end.</summary>
public sealed class ResponseLedger
{
    private readonly ConcurrentQueue<Response> _responses = new();

    public void Record(Response response) => _responses.Enqueue(response);

    public IReadOnlyList<Response> All => [.. _responses];

    public StatusSummary Summarize(FaultWindows windows)
    {
        var all = All;
        var fiveHundreds = all.Where(r => r.Status >= 500).ToList();
        var duringFault = fiveHundreds.Where(r => windows.Overlaps(r.Start, r.End)).ToList();
        return new StatusSummary(
            FromInput: [.. fiveHundreds.Except(duringFault)],
            OutageUnavailable: duringFault.Count(r => r.Status == 503),
            OtherDuringFault: [.. duringFault.Where(r => r.Status != 503)],
            ClientErrors: [.. all.Where(r => r.Status is >= 400 and < 500)],
            TransportErrors: all.Count(r => r.Status is null),
            ByStatus: all.GroupBy(r => r.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "io")
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()));
    }
}

/// <summary>
/// <see cref="FromInput"/>: 5xx to valid requests outside any fault window — a server failure. <see cref="OutageUnavailable"/>:
/// 503 while a fault was in force — the contract's answer. <see cref="OtherDuringFault"/>: another 5xx during a fault
/// (the contract says 503 with Retry-After). <see cref="ClientErrors"/>: 4xx to requests the workload built to be valid.
/// </summary>
public sealed record StatusSummary(
    IReadOnlyList<Response> FromInput,
    int OutageUnavailable,
    IReadOnlyList<Response> OtherDuringFault,
    IReadOnlyList<Response> ClientErrors,
    int TransportErrors,
    IReadOnlyDictionary<string, int> ByStatus);
