using System.Globalization;
using System.Net;
using Kavach.Processes;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// One replica beside the cluster with every <c>Kavach:Limits</c> rate made small, so a flood of a handful of requests
/// reaches it; started on first use and shared by the attacks on limits (each uses subjects and source addresses of
/// its own).
/// </summary>
public static class TightLimits
{
    public const int EmitPerSubject = 5;
    public const int EmitPerAddress = 8;
    public const int TokensPerClient = 3;
    public const int TokensPerAddress = 5;
    public const int PagesPerSubject = 5;
    public const int PagesPerAddress = 8;
    public const int ReplayPerSubject = 5;
    public const int ReplayPerAddress = 8;
    public const int VerifyPerSubject = 3;
    public const int VerifyPerAddress = 5;
    public const int MaxVerifyRange = 1000;
    public const int VerifyEventsPerSubject = 2 * MaxVerifyRange;

    /// <summary>A second service client, for the attack that uses up a client's own allowance.</summary>
    public const string SecondClientId = "attack-ci-2";
    public const string SecondClientSecret = "attack-suite-second-client-secret-0123";

    private static readonly SemaphoreSlim Starting = new(1, 1);
    private static ApiReplica? s_replica;

    public static async Task<ApiReplica> ReplicaAsync()
    {
        await Starting.WaitAsync();
        try
        {
            return s_replica ??= await AttackSuite.Cluster.StartReplicaAsync("tight-limits", Settings);
        }
        finally
        {
            Starting.Release();
        }
    }

    /// <summary>A loopback source address of its own (127.0.0.<paramref name="n"/>): another client, as far as per-address limits go.</summary>
    public static IPAddress Address(int n) => IPAddress.Parse($"127.0.0.{n}");

    private static Dictionary<string, string> Settings => new()
    {
        ["Kavach__Limits__Emit__PerSubject"] = Text(EmitPerSubject),
        ["Kavach__Limits__Emit__PerAddress"] = Text(EmitPerAddress),
        ["Kavach__Limits__Tokens__PerSubject"] = Text(TokensPerClient),
        ["Kavach__Limits__Tokens__PerAddress"] = Text(TokensPerAddress),
        ["Kavach__Limits__Pages__PerSubject"] = Text(PagesPerSubject),
        ["Kavach__Limits__Pages__PerAddress"] = Text(PagesPerAddress),
        ["Kavach__Limits__Replay__PerSubject"] = Text(ReplayPerSubject),
        ["Kavach__Limits__Replay__PerAddress"] = Text(ReplayPerAddress),
        ["Kavach__Limits__Verify__PerSubject"] = Text(VerifyPerSubject),
        ["Kavach__Limits__Verify__PerAddress"] = Text(VerifyPerAddress),
        ["Kavach__Limits__Verify__EventsPerSubject"] = Text(VerifyEventsPerSubject),
        ["Kavach__Integrity__MaxVerifyRange"] = Text(MaxVerifyRange),
        ["Kavach__Auth__Clients__1__Id"] = SecondClientId,
        ["Kavach__Auth__Clients__1__Secret"] = SecondClientSecret,
        ["Kavach__Auth__Clients__1__Scopes"] = "events:read",
    };

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
