namespace Kavach.Benchmarks;

/// <summary>The command line: which workloads, how big, where the processes run, whether the replicas export telemetry, and what to compare.</summary>
public sealed record SuiteOptions(
    IReadOnlyList<string> Workloads,
    bool Quick,
    bool Pin,
    string? BaselineApi,
    string ResultsDirectory,
    bool Exporter = true,
    double? Warmup = null)
{
    /// <summary>Every workload, in the order a full run takes them (W3 and W4's history case restart processes last).</summary>
    public static readonly IReadOnlyList<string> All = ["w5", "w5b", "w1", "w2", "w4", "fanout", "x", "webhooks", "w3"];

    /// <summary>Workloads run only when named: they take long enough to be a run of their own.</summary>
    public static readonly IReadOnlyList<string> OnRequest = ["retention", "merkle"];

    public const string Usage = """
        usage: dotnet run -c Release --project benchmarks/Kavach.Benchmarks -- [workloads...] [options]

        workloads: w5 w5b w1 w2 w3 w4 fanout x webhooks (default: all, in the order w5 w5b w1 w2 w4 fanout x webhooks w3)
        Every workload reports each process's CPU per event (replicas, PostgreSQL, Redis, the floor, each generator):
        per acknowledged event for w5 and w5b, per delivered event for w1 w2 w4 fanout x, per stream opened for w3.
          w5      acknowledged emits/s, 1 event per request, 64 clients, both replicas — vs the floor's HTTP rate; replica CPU
                  per emit vs the floor's per request, PostgreSQL's CPU per event vs a bare INSERT's per row; and the same
                  emits with the OTLP exporter off (both replicas restarted without it, then with it again)
          w5b     emits/s in batches of 100, 8 clients — vs PostgreSQL's own rate for the same rows (INSERT, COPY); PostgreSQL's
                  CPU per event vs the bare INSERT's per row
          w1      1,000 subscribers, 50 events/s: emit→receive p50/p99 — vs the floor
          w2      100 subscribers, rising rate: deliveries/s while p99 < 1 s, and what happens past saturation
          w3      idle streams up to the file-descriptor limit: resident memory per connection — vs the floor
          w4      resume 1,000 events behind by Last-Event-ID, request → last event (live buffer and PostgreSQL)
          fanout  10,000 subscribers on one replica × 20 events/s: p99
          x       emits on replica A only, subscribers on A and B: same- vs cross-replica latency, CPU, PostgreSQL reads
          webhooks  W7, push delivery to a local receiver that verifies every signature: deliveries/s to one endpoint (a
                  backlog of 30,000), 1,000 endpoints (a burst, then 5 events/s: how many stay within 5 s of the head), and
                  W1's live p99 at 5 events/s with those webhooks running against without
          retention  only when named: 3,000 events/s for 10 minutes (90 s with --quick) against a 1-minute retention
                  swept every 5 s, on two replicas of their own: rows and size over time, each sweep's batches
          merkle  only when named: 1,000,000 events (100,000 with --quick) on two replicas of their own: PostgreSQL CPU per
                  event of the Merkle tree beside the hash chain's, then inclusion and consistency proof latency to the head

        options:
          --quick         small sizes and short phases: a smoke run of everything in a few minutes
          --pin           taskset: PostgreSQL, Redis, the replicas and the floor on CPU 0, the generators on CPU 1
          --api <dll>     also run x against another build's Kavach.StreamApi.dll (own database, same servers)
          --warmup <s>    seconds of traffic per target before the first workload and after a restart (default 45, quick 15)
          --exporter off  the replicas export no telemetry (default on: to an OTLP/HTTP sink the suite starts, as
                          deployed replicas export to the Aspire dashboard or a collector; its CPU counts as a generator's)
          --results <dir> where results.md, results.json and the logs go (default artifacts/benchmarks/<time>)
        """;

    public static SuiteOptions? Parse(string[] args, out string? error)
    {
        var workloads = new List<string>();
        bool quick = false, pin = false, exporter = true;
        double? warmup = null;
        string? api = null, results = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--pin":
                    pin = true;
                    break;
                case "--warmup" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0:
                    warmup = seconds;
                    i++;
                    break;
                case "--exporter" when i + 1 < args.Length && args[i + 1] is "on" or "off":
                    exporter = args[++i] == "on";
                    break;
                case "--api" when i + 1 < args.Length:
                    api = Path.GetFullPath(args[++i]);
                    break;
                case "--results" when i + 1 < args.Length:
                    results = Path.GetFullPath(args[++i]);
                    break;
                case "-h" or "--help":
                    error = Usage;
                    return null;
                case var name when All.Contains(name.ToLowerInvariant()) || OnRequest.Contains(name.ToLowerInvariant()):
                    workloads.Add(name.ToLowerInvariant());
                    break;
                case "all":
                    workloads.AddRange(All);
                    break;
                default:
                    error = $"Unknown argument '{args[i]}'.\n\n{Usage}";
                    return null;
            }
        }

        if (api is not null && !File.Exists(api))
        {
            error = $"--api {api}: no such file (build it first: dotnet build -c Release <worktree>/Kavach.StreamApi).";
            return null;
        }

        error = null;
        var selected = workloads.Count == 0 ? All : [.. All.Concat(OnRequest).Where(workloads.Contains)];
        return new SuiteOptions(selected, quick, pin, api,
            results ?? Path.GetFullPath(Path.Combine(RepositoryRoot(), "artifacts", "benchmarks", DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture))),
            exporter, warmup);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kavach.Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
