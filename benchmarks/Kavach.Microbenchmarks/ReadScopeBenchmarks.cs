using System.Collections.Frozen;
using BenchmarkDotNet.Attributes;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Events;

namespace Kavach.Microbenchmarks;

/// <summary>
/// The cost of scoping in the fan-out: every stream asks its <see cref="ReadScope"/> once per event whether it may
/// receive it. Measured over 1,024 events of the twelve types from 1,000 agents and 1,000 users, for the scope of a SOC
/// tool (everything), a type grant, a platform admin granted 100 users, an agent that reads only its own events, and
/// a token granted 1,000 agents: the cost per check must not grow with the grant, and nothing is allocated.
/// </summary>
[MemoryDiagnoser]
public class ReadScopeBenchmarks
{
    private const int Events = 1024;
    private static readonly EventTypeFilter AllTypes = EventTypeFilter.ForModule([]);

    private EventEnvelope[] _events = null!;
    private ReadScope _scope = null!;

    [Params("everything", "types", "100 users", "own agent", "1000 agents")]
    public string Holder { get; set; } = "everything";

    [GlobalSetup]
    public void Setup()
    {
        var types = EventTypeCatalog.All;
        _events = [.. Enumerable.Range(1, Events).Select(i =>
        {
            var stored = Samples.Event(i, type: types[i % types.Count], agentId: $"agent-{i * 7 % 1000}", userId: $"user-{i * 13 % 1000}");
            return EventEnvelope.From(stored, StreamPosition.FirstEpoch);
        })];

        var grant = Holder switch
        {
            "types" => new ReadGrant(new[] { "anomaly.detected", "auth.failed" }.ToFrozenSet(), null, null),
            "100 users" => new ReadGrant(null, null, Enumerable.Range(0, 100).Select(i => $"user-{i}").ToFrozenSet()),
            "own agent" => new ReadGrant(null, new[] { "agent-7" }.ToFrozenSet(), null, SubjectIsAgent: true),
            "1000 agents" => new ReadGrant(null, Enumerable.Range(0, 1000).Select(i => $"agent-{i}").ToFrozenSet(), null),
            _ => ReadGrant.Everything,
        };

        if (!ReadScope.TryCreate(AllTypes, grant, types: null, agentId: null, userId: null, out _scope, out var bad, out var forbidden))
        {
            throw new InvalidOperationException(bad ?? forbidden);
        }
    }

    [Benchmark(Description = "ReadScope.Allows (one stream, one event)", OperationsPerInvoke = Events)]
    public int Allows()
    {
        var allowed = 0;
        foreach (var envelope in _events)
        {
            if (_scope.Allows(envelope))
            {
                allowed++;
            }
        }

        return allowed;
    }
}

/// <summary>
/// One event's fan-out check across 1,000 subscribers: each asks its own precomputed scope, as the live loop does.
/// Mixed: a fifth each of everything, a type grant, 100 users, its own agent, 1,000 agents. Off: every subscriber
/// with the module's scope (what every stream had before scoping). Same events, same run.
/// </summary>
[MemoryDiagnoser]
public class FanOutScopingBenchmarks
{
    private const int Subscribers = 1000;
    private const int Events = 256;
    private static readonly EventTypeFilter AllTypes = EventTypeFilter.ForModule([]);

    private EventEnvelope[] _events = null!;
    private ReadScope[] _mixed = null!;
    private ReadScope[] _off = null!;

    [GlobalSetup]
    public void Setup()
    {
        var types = EventTypeCatalog.All;
        _events = [.. Enumerable.Range(1, Events).Select(i => EventEnvelope.From(
            Samples.Event(i, type: types[i % types.Count], agentId: $"agent-{i * 7 % 1000}", userId: $"user-{i * 13 % 1000}"),
            StreamPosition.FirstEpoch))];
        var grants = new[]
        {
            ReadGrant.Everything,
            new ReadGrant(new[] { "anomaly.detected", "auth.failed" }.ToFrozenSet(), null, null),
            new ReadGrant(null, null, Enumerable.Range(0, 100).Select(i => $"user-{i}").ToFrozenSet()),
            new ReadGrant(null, new[] { "agent-7" }.ToFrozenSet(), null, SubjectIsAgent: true),
            new ReadGrant(null, Enumerable.Range(0, 1000).Select(i => $"agent-{i}").ToFrozenSet(), null),
        };
        _mixed = [.. Enumerable.Range(0, Subscribers).Select(i =>
            ReadScope.TryCreate(AllTypes, grants[i % grants.Length], null, null, null, out var scope, out _, out _) ? scope : throw new InvalidOperationException())];
        _off = [.. Enumerable.Range(0, Subscribers).Select(_ => ReadScope.Module(AllTypes))];
    }

    [Benchmark(Baseline = true, Description = "1,000 subscribers, scoping off (per event)", OperationsPerInvoke = Events)]
    public int Off() => Deliver(_off);

    [Benchmark(Description = "1,000 subscribers, mixed scopes (per event)", OperationsPerInvoke = Events)]
    public int Mixed() => Deliver(_mixed);

    private int Deliver(ReadScope[] subscribers)
    {
        var deliveries = 0;
        foreach (var envelope in _events)
        {
            foreach (var scope in subscribers)
            {
                if (scope.Allows(envelope))
                {
                    deliveries++;
                }
            }
        }

        return deliveries;
    }
}
