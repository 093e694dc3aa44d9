using System.Globalization;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;
using Kavach.Processes;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W3: idle streams held open against a freshly started replica, and against a freshly started floor, up to what
/// the process's file-descriptor limit leaves: resident memory (VmRSS) per connection, before and after, and the
/// kernel's share (slab) per socket. The projection to 100,000 per replica is printed with what it needs.
/// </summary>
public sealed class IdleConnections : IWorkload
{
    private const int PerGenerator = 10_000;

    public string Title => "W3 — idle streams: resident memory per connection";

    public string Goal => "≤ floor + 1 KiB per connection";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var api = await MeasureAsync(context, report, context.Cluster.Api, 1, "w3-api");
        var floor = await MeasureAsync(context, report, context.Cluster.FloorTarget, 0, "w3-floor");
        var over = api.PerConnection - floor.PerConnection;
        var apiCpu = report.AddCpuPerEvent("Kavach API", "stream opened", api.Connected, api.Cpu);
        var floorCpu = report.AddCpuPerEvent("floor", "stream opened", floor.Connected, floor.Cpu);
        report.Rows.Add(new ResultRow($"W3 memory per idle stream ({api.Connections:N0} streams, VmRSS)", Goal,
            $"{Format.Bytes(api.PerConnection)} per stream", $"floor {Format.Bytes(floor.PerConnection)} ({floor.Connections:N0} streams)",
            Format.Ratio(api.PerConnection / floor.PerConnection), over <= 1024 ? Verdict.Met : Verdict.NotMet,
            $"{api.Connected:N0} of {api.Connections:N0} held", api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText,
            CpuPerEvent.Column(apiCpu, floorCpu)));
        report.Details.Add(apiCpu.Text + " CPU while the streams were being opened, per stream (an idle stream has no events).");
        report.Details.Add(floorCpu.Text);

        var projected = api.Before + 100_000 * api.PerConnection;
        var kernel = 100_000 * api.KernelPerSocket;
        report.Details.Add($"Both processes restarted first (a fresh heap), then {api.Connections:N0} idle streams opened from {Math.Max(1, (api.Connections + PerGenerator - 1) / PerGenerator)} " +
            "generator processes and held for 5 s; VmRSS averaged over three reads before and while they are open. VmRSS also holds the garbage " +
            "that setting the connections up left (token validation, request parsing) until a GC runs, and an idle process does not collect: " +
            "expect a few KiB per stream of difference between runs (inducing a GC through the diagnostics port was tried and does not help: " +
            "its EventPipe buffers add more resident memory than it frees). The number of streams is what the process's open-files limit " +
            "leaves after the descriptors it already uses.");
        report.Details.Add($"**Projection to 100,000 streams per replica**: about {Format.Bytes(projected)} resident for the API process " +
            $"({Format.Bytes(api.Before)} at rest + 100,000 × {Format.Bytes(api.PerConnection)}), plus about {Format.Bytes(kernel)} of kernel memory " +
            $"for the sockets (slab, {Format.Bytes(api.KernelPerSocket)} per socket measured here, idle buffers empty). A production host needs: " +
            "`LimitNOFILE=200000` (systemd) or `ulimit -n 200000` for the replica (here the hard limit is 20,000, so this could not be run), " +
            "`fs.file-max`/`fs.nr_open` above it, `net.core.somaxconn` and Kestrel's listen backlog raised for reconnect storms, " +
            "`net.ipv4.ip_local_port_range` widened on any proxy that opens the upstream connections (one port per stream per upstream address), " +
            "`net.ipv4.tcp_rmem`/`tcp_wmem` minimums kept small (idle sockets hold no buffers but bursts do), " +
            "`Kavach:Stream:MaxConnections` ≥ 100,000, and the `HeartbeatInterval` × 100,000 wake-ups (3,300/s at 30 s) budgeted.");
    }

    private sealed record Outcome(int Connections, long Connected, double Before, double PerConnection, double KernelPerSocket, CpuReading Cpu);

    private static async Task<Outcome> MeasureAsync(SuiteContext context, WorkloadReport report, Target target, int replica, string name)
    {
        await target.RestartAsync(replica);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var pid = target.ReplicaPid(replica);
        var descriptors = ProcessStats.OpenFileDescriptors(pid) ?? 100;
        var limit = ProcessStats.OpenFilesLimit(pid) ?? 1024;
        var connections = (int)Math.Min(context.Sizes.W3MaxConnections, limit - descriptors - 300);
        var before = await ResidentAsync(pid);
        var slabBefore = SlabBytes();

        var processes = Math.Max(1, (connections + PerGenerator - 1) / PerGenerator);
        var generators = new List<Generator>();
        try
        {
            for (var i = 0; i < processes; i++)
            {
                generators.Add(Generator.Start(context, $"{name}-{i}", "idle",
                [
                    "--url", target.Url(replica), "--connections", SuiteContext.Text(connections / processes + (i < connections % processes ? 1 : 0)),
                    "--signing-key", context.Cluster.SigningKey, "--subject", $"{name}-{i}", "--timeout", "900",
                ]));
            }

            var meter = context.Meter(target, generators);
            await Task.WhenAll(generators.Select(g => g.WaitReadyAsync(TimeSpan.FromSeconds(120 + connections / 50.0))));
            var cpu = meter.Stop();
            await Task.Delay(TimeSpan.FromSeconds(5));
            var open = await ResidentAsync(pid);
            var slabOpen = SlabBytes();
            var descriptorsOpen = ProcessStats.OpenFileDescriptors(pid) ?? 0;
            foreach (var generator in generators)
            {
                generator.Stop(-1);
            }

            long connected = 0;
            foreach (var generator in generators)
            {
                connected += (await generator.ResultAsync(TimeSpan.FromSeconds(60))).GetProperty("ready").GetInt64();
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
            var closed = await ResidentAsync(pid);
            var perConnection = (open - before) / connections;
            var kernelPerSocket = (double)(slabOpen - slabBefore) / (2 * connections); // both ends are on this machine
            report.Details.Add($"**{target.Name}** (PID {pid}): {connected:N0} of {connections:N0} streams held; descriptors {descriptors:N0} → {descriptorsOpen:N0} " +
                $"(limit {limit:N0}); VmRSS {Format.Bytes(before)} → {Format.Bytes(open)} open → {Format.Bytes(closed)} 3 s after closing; " +
                $"{Format.Bytes(perConnection)} per stream; kernel slab {Format.Bytes(kernelPerSocket)} per socket; connecting them took " +
                $"{cpu.WallSeconds:0.0} s with server {cpu.ServerText} and generators {cpu.GeneratorText(context.Options.Pin)}.");
            return new Outcome(connections, connected, before, perConnection, kernelPerSocket, cpu);
        }
        finally
        {
            await Task.WhenAll(generators.Select(g => g.DisposeAsync().AsTask()));
        }
    }

    private static async Task<double> ResidentAsync(int pid)
    {
        var samples = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            samples.Add(ProcessStats.ResidentBytes(pid) ?? 0);
            await Task.Delay(500);
        }

        return samples.Average();
    }

    private static long SlabBytes()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("Slab:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
