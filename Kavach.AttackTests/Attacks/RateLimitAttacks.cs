using System.Net;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Floods of emits, pages, replays and verifications, from one token subject and from one client address, against a
/// replica with small limits (<see cref="TightLimits"/>): past its allowance each gets 429 with <c>Retry-After</c> and a
/// problem naming the limit. A subject is counted only on a token that validated — forged tokens naming a victim
/// cannot use up its allowance — and an address before any token is looked at.
/// </summary>
[TestClass]
public sealed class RateLimitAttacks
{
    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];

    private sealed record Target(string Group, string Scope, int PerSubject, int PerAddress, Func<Api, Task<Answer>> Send);

    private static readonly Dictionary<string, Target> Targets = new()
    {
        ["emit"] = new("Emit", KavachScopes.Emit, TightLimits.EmitPerSubject, TightLimits.EmitPerAddress,
            api => api.EmitAsync(Api.Event("audit", $"flood-{Run}"))),
        ["pages"] = new("Pages", KavachScopes.Read, TightLimits.PagesPerSubject, TightLimits.PagesPerAddress,
            api => api.GetAsync($"{Api.Events}?limit=1")),
        ["replay"] = new("Replay", KavachScopes.Read, TightLimits.ReplayPerSubject, TightLimits.ReplayPerAddress,
            api => api.GetAsync($"{Api.Events}/replay?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O"))}")),
        ["verify"] = new("Verify", KavachScopes.Read, TightLimits.VerifyPerSubject, TightLimits.VerifyPerAddress,
            api => api.GetAsync($"{Api.Events}/verify?from=1&to=1")),
    };

    public static IEnumerable<object[]> Endpoints => Targets.Keys.Select(k => new object[] { k });

    [ClassInitialize]
    public static async Task EmitAsync(TestContext context)
    {
        using var emitter = new Api(AttackSuite.Cluster.Replicas[0].BaseAddress, Forge.Emitter("flood-setup"));
        await emitter.EmitOkAsync(Api.Event("audit", $"flood-{Run}")); // something to page, replay and verify
    }

    [TestMethod]
    [DynamicData(nameof(Endpoints))]
    public async Task AFloodFromOneSubjectIsRefusedPastItsAllowanceAndForgedTokensDoNotCount(string endpoint)
    {
        var target = Targets[endpoint];
        var replica = (await TightLimits.ReplicaAsync()).BaseAddress;
        var victim = $"{endpoint}-victim-{Run}";

        // Tokens naming the victim, signed with another key, each from an address of its own: refused, and not counted.
        var forged = new List<Answer>();
        for (var i = 0; i < 2 * target.PerSubject; i++)
        {
            using var attacker = new Api(replica, Forge.Token(victim, target.Scope, signingKey: "not-the-cluster-key-0123456789-abcdefghijklmnop"),
                TightLimits.Address(100 + i));
            forged.Add(await target.Send(attacker));
        }

        // The victim itself, spread over five addresses so that only its subject's allowance can run out.
        var token = Forge.Token(victim, target.Scope);
        var own = new List<Answer>();
        for (var i = 0; i < target.PerSubject + 3; i++)
        {
            using var api = new Api(replica, token, TightLimits.Address(10 + (i % 5)));
            own.Add(await target.Send(api));
        }

        Findings.Record($"{endpoint} flood per subject", $"forged: {Summary(forged)}; own token: {Summary(own)}");

        Assert.IsTrue(forged.All(a => a.Status == HttpStatusCode.Unauthorized), Summary(forged));
        Assert.IsTrue(own.Take(target.PerSubject).All(a => (int)a.Status is >= 200 and < 300),
            $"the first {target.PerSubject} of the victim's own requests must pass: {Summary(own)}");
        foreach (var refused in own.Skip(target.PerSubject))
        {
            Assert.AreEqual($"Kavach:Limits:{target.Group}:PerSubject", Refusal.LimitOf(refused));
        }
    }

    [TestMethod]
    [DynamicData(nameof(Endpoints))]
    public async Task AFloodFromOneAddressIsRefusedBeforeAnyTokenIsChecked(string endpoint)
    {
        var target = Targets[endpoint];
        var replica = (await TightLimits.ReplicaAsync()).BaseAddress;
        var from = TightLimits.Address(50);

        // Garbage tokens count: the address limit comes first, so a flood of them costs no signature checks.
        var garbage = new List<Answer>();
        for (var i = 0; i < target.PerAddress; i++)
        {
            using var api = new Api(replica, $"garbage.{i}.token", from);
            garbage.Add(await target.Send(api));
        }

        using var valid = new Api(replica, Forge.Token($"{endpoint}-address-{Run}", target.Scope), from);
        var blocked = await target.Send(valid);
        using var elsewhere = new Api(replica, Forge.Token($"{endpoint}-address-{Run}", target.Scope), TightLimits.Address(51));
        var fromAnotherAddress = await target.Send(elsewhere);

        Findings.Record($"{endpoint} flood per address",
            $"{target.PerAddress} bad tokens: {Summary(garbage)}; then a valid token from there: {Refusal.Describe(blocked)}; " +
            $"from another address: {Refusal.Describe(fromAnotherAddress)}");

        Assert.IsTrue(garbage.All(a => a.Status == HttpStatusCode.Unauthorized), Summary(garbage));
        Assert.AreEqual($"Kavach:Limits:{target.Group}:PerAddress", Refusal.LimitOf(blocked));
        Assert.IsTrue((int)fromAnotherAddress.Status is >= 200 and < 300, fromAnotherAddress.ToString());
    }

    [TestMethod]
    public async Task GuessingAClientSecretIsRefusedPerAddressWithoutLockingTheClientOut()
    {
        var replica = (await TightLimits.ReplicaAsync()).BaseAddress;
        var guesses = new List<Answer>();
        for (var i = 0; i < TightLimits.TokensPerAddress + 3; i++)
        {
            guesses.Add(await RequestTokenAsync(replica, TightLimits.Address(60), AttackCluster.ClientId, $"guess-{i}-0123456789abcdef"));
        }

        var theRealClient = await RequestTokenAsync(replica, TightLimits.Address(61), AttackCluster.ClientId, AttackCluster.ClientSecret);
        Findings.Record("client secret guessing per address", $"guesses: {Summary(guesses)}; the real client from its own address: {Refusal.Describe(theRealClient)}");

        Assert.IsTrue(guesses.Take(TightLimits.TokensPerAddress).All(a => a.Status == HttpStatusCode.Unauthorized), Summary(guesses));
        foreach (var refused in guesses.Skip(TightLimits.TokensPerAddress))
        {
            Assert.AreEqual("Kavach:Limits:Tokens:PerAddress", Refusal.LimitOf(refused));
        }

        Assert.AreEqual(HttpStatusCode.OK, theRealClient.Status, theRealClient.ToString());
    }

    [TestMethod]
    public async Task AClientThatAsksForTokensTooOftenIsRefusedPerClient()
    {
        var replica = (await TightLimits.ReplicaAsync()).BaseAddress;
        var answers = new List<Answer>();
        for (var i = 0; i < TightLimits.TokensPerClient + 2; i++)
        {
            answers.Add(await RequestTokenAsync(replica, TightLimits.Address(70 + i), TightLimits.SecondClientId, TightLimits.SecondClientSecret));
        }

        Findings.Record("token requests per client", Summary(answers));

        Assert.IsTrue(answers.Take(TightLimits.TokensPerClient).All(a => a.Status == HttpStatusCode.OK), Summary(answers));
        foreach (var refused in answers.Skip(TightLimits.TokensPerClient))
        {
            Assert.AreEqual("Kavach:Limits:Tokens:PerSubject", Refusal.LimitOf(refused));
        }
    }

    private static async Task<Answer> RequestTokenAsync(Uri replica, IPAddress from, string clientId, string secret)
    {
        using var api = new Api(replica, from: from);
        using var response = await api.Http.PostAsync("/api/kavach/tokens", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        }));
        return await Api.ReadAsync(response);
    }

    private static string Summary(IEnumerable<Answer> answers) =>
        string.Join(", ", answers.Select(Refusal.Describe).GroupBy(s => s).Select(g => $"{g.Count()}× {g.Key}"));
}
