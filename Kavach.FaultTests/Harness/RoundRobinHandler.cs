namespace Kavach.FaultTests.Harness;

/// <summary>
/// Sends each request to the next replica in turn, as the proxy in front of the replicas does in a deployment: a
/// client that reconnects after its replica died lands on another one (or on the dead one, and tries again).
/// </summary>
public sealed class RoundRobinHandler(IReadOnlyList<Uri> replicas) : DelegatingHandler(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(3) })
{
    private int _next = -1;

    /// <summary>The replica each request went to, in order (its index in the list).</summary>
    public List<int> Routed { get; } = [];

    public static Uri Placeholder { get; } = new("http://kavach.invalid");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var index = (int)((uint)Interlocked.Increment(ref _next) % (uint)replicas.Count);
        lock (Routed)
        {
            Routed.Add(index);
        }

        request.RequestUri = new Uri(replicas[index], request.RequestUri!.PathAndQuery);
        return base.SendAsync(request, cancellationToken);
    }
}
