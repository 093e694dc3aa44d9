using Kavach.Benchmarks.Cluster;

namespace Kavach.Benchmarks;

/// <summary>
/// Before the first workload, the API (and the baseline build, with <c>--api</c>) and the floor take the workloads' kinds of traffic (single emits, batches, a
/// stream) for a while, so that what is measured is the steady state and not the JIT: .NET compiles each hot method
/// up to three times (tier 0, instrumented, tier 1), and a profile of a quick W5 showed the replicas' tiered-compilation
/// thread using a third of the machine for the first half minute under load.
/// </summary>
public static class ClusterWarmup
{
    public static async Task RunAsync(SuiteContext context)
    {
        Target[] targets = context.Cluster.Baseline is { } baseline
            ? [context.Cluster.Api, baseline, context.Cluster.FloorTarget]
            : [context.Cluster.Api, context.Cluster.FloorTarget];
        foreach (var target in targets)
        {
            await WarmAsync(context, target, target.IsFloor ? "floor" : target == context.Cluster.Api ? "api" : "baseline");
        }
    }

    /// <summary>The same traffic against one target: also after a workload restarted its replicas.</summary>
    public static async Task WarmAsync(SuiteContext context, Target target, string name)
    {
        var seconds = context.Sizes.ClusterWarmupSeconds;
        if (seconds <= 0)
        {
            return;
        }

        var head = await target.HeadAsync();
        var subscribers = await context.StartSubscribersAsync($"warmup-check-{name}", target.AllUrls, target.Replicas.Count, head);
        var schedule = $"--rate 0 --duration {SuiteContext.Text(seconds)}";
        var emitters = new[]
        {
            context.StartEmitter($"warmup-emit-{name}", target.AllUrls, 32, 1, schedule, 0),
            context.StartEmitter($"warmup-batch-{name}", target.AllUrls, 4, 100, schedule, 0),
        };
        try
        {
            foreach (var emitter in emitters)
            {
                await emitter.ResultAsync(TimeSpan.FromSeconds(seconds + 120));
            }

            await context.StopSubscribersAsync(subscribers, await target.HeadAsync());
        }
        finally
        {
            await Task.WhenAll(emitters.Select(e => e.DisposeAsync().AsTask()).Concat(subscribers.Select(s => s.DisposeAsync().AsTask())));
        }
    }
}
