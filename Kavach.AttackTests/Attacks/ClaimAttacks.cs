using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Narrowing claims of every shape an identity provider might send — absent, <c>[]</c>, <c>[""]</c>, a string, an
/// array, a number, an object, null, duplicates, another case — on <c>kavach_users</c>, <c>kavach_agents</c> and
/// <c>kavach_types</c>, against every HTTP read path: pages, <c>/replay</c>, <c>/verify</c> and a resumed stream. A
/// claim that is present narrows (an empty one to nothing); one that is malformed invalidates the token (401).
/// </summary>
[TestClass]
public sealed class ClaimAttacks
{
    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];
    private static readonly Party[] Parties =
    [
        new("audit", $"agent-a-{Run}", $"user-a-{Run}"),
        new("anomaly.detected", $"agent-b-{Run}", $"user-b-{Run}"),
        new("agent.created", $"agent-c-{Run}", null),
    ];

    private static readonly Dictionary<long, Party> Emitted = [];
    private static long s_before;
    private static DateTimeOffset s_since;

    private static AttackCluster Cluster => AttackSuite.Cluster;

    [ClassInitialize]
    public static async Task EmitAsync(TestContext context)
    {
        s_since = DateTimeOffset.UtcNow.AddSeconds(-1);
        s_before = await Cluster.ScalarAsync<long>("SELECT last_value FROM kavach_stream_sequence");
        using var emitter = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter("claims-emitter"));
        var sequences = await emitter.EmitOkAsync([.. Parties.Select(p => Api.Event(p.Type, p.AgentId, p.UserId))]);
        for (var i = 0; i < Parties.Length; i++)
        {
            Emitted[sequences[i]] = Parties[i];
        }
    }

    /// <summary>Shape name, and the claim's JSON with <c>V</c> standing for the value that names the first event's party.</summary>
    public static IEnumerable<object[]> Shapes =>
    [
        ["absent", ""],
        ["empty array", "[]"],
        ["array of an empty string", "[\"\"]"],
        ["empty string", "\"\""],
        ["string", "\"V\""],
        ["array", "[\"V\"]"],
        ["number", "5"],
        ["array of a number", "[5]"],
        ["object", "{\"V\":true}"],
        ["null", "null"],
        ["boolean", "true"],
        ["duplicates", "[\"V\",\"V\"]"],
        ["another case", "[\"UPPER-V\"]"],
    ];

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public Task KavachUsers(string shape, string json) => AttackAsync(KavachClaims.Users, Parties[0].UserId!, shape, json);

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public Task KavachAgents(string shape, string json) => AttackAsync(KavachClaims.Agents, Parties[0].AgentId!, shape, json);

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public Task KavachTypes(string shape, string json) => AttackAsync(KavachClaims.Types, Parties[0].Type, shape, json);

    private static async Task AttackAsync(string claim, string value, string shape, string json)
    {
        var claims = new JsonObject();
        if (json.Length > 0)
        {
            var text = json.Replace("UPPER-V", value.ToUpperInvariant(), StringComparison.Ordinal).Replace("V", value, StringComparison.Ordinal);
            claims[claim] = JsonNode.Parse(text); // null for "null": the claim is present with a JSON null
        }

        var oracle = GrantOracle.Of("claims-reader", claims);
        var token = Forge.Reader("claims-reader", claims);
        var expected = Emitted.Where(e => oracle.Allows(e.Value)).Select(e => e.Key).Order().ToList();
        var results = new List<(string Path, HttpStatusCode Status, List<long> Sequences)>();
        foreach (var (path, read) in ReadPaths(token))
        {
            var (status, sequences) = await read();
            results.Add((path, status, sequences));
        }

        var verify = await VerifyAsync(token);
        Findings.Record($"{claim} {shape}", string.Join(", ", results.Select(r =>
            $"{r.Path} {(int)r.Status}{(r.Status == HttpStatusCode.OK ? $" [{r.Sequences.Count} of 3]" : "")}")) + $", verify {(int)verify}");

        foreach (var (path, status, sequences) in results)
        {
            if (!oracle.Valid)
            {
                Assert.AreEqual(HttpStatusCode.Unauthorized, status, $"{claim} {shape} on {path}: a malformed claim must invalidate the token");
                continue;
            }

            Assert.AreEqual(HttpStatusCode.OK, status, $"{claim} {shape} on {path}");
            CollectionAssert.AreEqual(expected, sequences,
                $"{claim} {shape} on {path}: returned {Describe(sequences)}, the grant allows {Describe(expected)}");
        }

        var verifyExpected = !oracle.Valid ? HttpStatusCode.Unauthorized
            : oracle.ReadsEverything ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
        Assert.AreEqual(verifyExpected, verify, $"{claim} {shape} on /verify: verification reads every event");
    }

    private static IEnumerable<(string Path, Func<Task<(HttpStatusCode, List<long>)>> Read)> ReadPaths(string token)
    {
        var replica = Cluster.Replicas[1].BaseAddress;
        yield return ("page", async () =>
        {
            using var api = new Api(replica, token);
            var answer = await api.GetAsync($"{Api.Events}?after={s_before}&limit=1000");
            return (answer.Status, answer.Status == HttpStatusCode.OK ? Ours(answer.Json.GetProperty("events")) : []);
        });
        yield return ("replay", async () =>
        {
            using var api = new Api(replica, token);
            var answer = await api.GetAsync($"{Api.Events}/replay?since={Uri.EscapeDataString(s_since.ToString("O"))}");
            return (answer.Status, answer.Status == HttpStatusCode.OK ? [.. Ours(answer.Json.GetProperty("events")).Order()] : []);
        });
        yield return ("stream", async () =>
        {
            await using var stream = await RawStream.OpenAsync(replica, token, lastEventId: s_before.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (stream.Status != HttpStatusCode.OK)
            {
                return (stream.Status, []);
            }

            // Catching up from the buffer is immediate; a second of quiet means nothing more is coming.
            var frames = await stream.CollectAsync(TimeSpan.FromSeconds(1));
            return (stream.Status, [.. frames.Where(f => f.IsEvent).Select(f => f.Json.GetProperty("sequence").GetInt64()).Where(Emitted.ContainsKey)]);
        });
    }

    private static async Task<HttpStatusCode> VerifyAsync(string token)
    {
        using var api = new Api(Cluster.Replicas[0].BaseAddress, token);
        return (await api.GetAsync($"{Api.Events}/verify?from={s_before + 1}")).Status;
    }

    private static List<long> Ours(JsonElement events) =>
        [.. events.EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).Where(Emitted.ContainsKey)];

    private static string Describe(IEnumerable<long> sequences) =>
        "{" + string.Join(", ", sequences.Select(s => Emitted.TryGetValue(s, out var p) ? $"{p.Type}/{p.AgentId}/{p.UserId}" : s.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "}";
}
