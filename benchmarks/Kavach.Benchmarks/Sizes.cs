namespace Kavach.Benchmarks;

/// <summary>How big and how long each workload is: the goals' sizes in a full run, small ones with --quick.</summary>
public sealed class Sizes(bool quick, double? warmup = null)
{
    public bool Quick => quick;

    /// <summary>Traffic before the first workload, per target, so that tiered compilation has settled.</summary>
    public double ClusterWarmupSeconds => warmup ?? (quick ? 15 : 45);

    // W5 / W5b: closed-loop emitters.
    public int W5Clients => 64;
    public double EmitSeconds => quick ? 4 : 20;
    /// <summary>The JIT tiers a fresh replica's emit path up over its first ~10 s (about half the steady rate before that).</summary>
    public double EmitWarmup => quick ? 1 : 10;
    public int W5bClients => 8;
    public int W5bBatch => 100;
    public double PgRateSeconds => quick ? 3 : 12;

    // W1: many subscribers at a modest rate.
    public int W1Subscribers => quick ? 200 : 1000;
    public double W1Rate => 50;
    public double W1Seconds => quick ? 6 : 30;

    // W2: a rising rate, 100 subscribers.
    public int W2Subscribers => 100;
    public IReadOnlyList<double> W2Steps => quick ? [1000, 4000, 16000] : [500, 1000, 2000, 4000, 8000, 16000, 32000];
    public double W2StepSeconds => quick ? 3 : 6;
    public int W2Batch => 100;

    // W3: idle streams, up to what the file-descriptor limit leaves.
    public int W3MaxConnections => quick ? 2000 : 19_500;

    // W4: sequential resumes.
    public int W4Behind => 1000;
    public int W4Samples => quick ? 30 : 200;

    // Fan-out: many subscribers on one replica.
    public int FanOutSubscribers => quick ? 1000 : 10_000;
    public double FanOutRate => 20;
    public double FanOutSeconds => quick ? 6 : 30;

    // X: same- vs cross-replica.
    public int XSubscribersPerReplica => quick ? 20 : 50;
    public double XRate => 200;
    public double XSeconds => quick ? 5 : 20;

    // W7: push delivery (webhooks).
    /// <summary>Events already in the log when one webhook is created from their start: its drain is the one-endpoint rate.</summary>
    public int WebhookBacklog => quick ? 3000 : 30_000;
    public int WebhookEndpoints => quick ? 200 : 1000;
    /// <summary>Events emitted in one batch once every endpoint exists: each endpoint's copy makes the many-endpoint drain.</summary>
    public int WebhookBurst => 20;
    /// <summary>With 1,000 endpoints, 5 events/s is 5,000 deliveries/s: the one-endpoint goal's rate, spread over them.</summary>
    public double WebhookLiveRate => 5;
    public double WebhookLiveSeconds => quick ? 6 : 30;
    public int WebhookLiveSubscribers => W1Subscribers;
    public TimeSpan WebhookWithinHead => TimeSpan.FromSeconds(5);

    // R: retention under sustained load.
    public double RetentionRate => 3000;
    public double RetentionSeconds => quick ? 90 : 600;
    public int RetentionBatch => 10;
    public int RetentionConnections => 8;
    public TimeSpan Retention => TimeSpan.FromMinutes(1);
    public TimeSpan RetentionSweep => TimeSpan.FromSeconds(5);
    public TimeSpan RetentionSampleInterval => TimeSpan.FromSeconds(5);
    public TimeSpan RetentionTableInterval => TimeSpan.FromSeconds(quick ? 10 : 30);

    // T: the Merkle tree's cost and its proofs.
    public long MerkleEvents => quick ? 100_000 : 1_000_000;
    public int MerkleProofs => quick ? 300 : 2000;

    /// <summary>Subscribers per generator process: one epoll thread each, well under a process's descriptor limit.</summary>
    public int SubscribersPerProcess => 5000;
}
