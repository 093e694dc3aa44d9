namespace Kavach.Benchmarks.Cluster;

/// <summary>
/// What a workload runs against: the Kavach API (two replicas), another build's replicas, or the floor. The same
/// generators drive each; only where they connect, how the head is read and which processes count as the server differ.
/// </summary>
public sealed class Target(
    string name,
    IReadOnlyList<Func<Uri>> replicas,
    Func<Task<long>> head,
    Func<IReadOnlyList<(string Name, int Pid, bool WithChildren)>> serverProcesses,
    Func<int, Task>? restartReplica = null)
{
    public string Name { get; } = name;

    public bool IsFloor { get; init; }

    /// <summary>Base addresses of its replicas (the floor has one).</summary>
    public IReadOnlyList<Uri> Replicas => [.. replicas.Select(r => r())];

    public string AllUrls => string.Join(',', Replicas.Select(u => u.ToString().TrimEnd('/')));

    public string Url(int replica) => Replicas[replica].ToString().TrimEnd('/');

    /// <summary>The last sequence committed (the API's PostgreSQL, the floor's memory).</summary>
    public Task<long> HeadAsync() => head();

    /// <summary>The processes whose CPU is the server's: replicas (and for the API, PostgreSQL with its backends, and Redis).</summary>
    public IReadOnlyList<(string Name, int Pid, bool WithChildren)> ServerProcesses => serverProcesses();

    /// <summary>Replica <paramref name="index"/>'s PID (the floor's for the floor).</summary>
    public int ReplicaPid(int index) => ServerProcesses[index].Pid;

    /// <summary>Stops and starts a replica (a fresh process: empty live buffer, unfragmented heap).</summary>
    public Task RestartAsync(int replica) =>
        (restartReplica ?? throw new InvalidOperationException($"{Name} cannot restart a replica."))(replica);
}
