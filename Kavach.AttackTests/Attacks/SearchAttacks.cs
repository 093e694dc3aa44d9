using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Search over history (<c>q</c> on the event pages) used to get around a grant or to hurt the database: a restricted
/// reader searching for text that only other parties' events hold, naming another party's id as the text, or combining
/// the search with filters it may not use — and patterns made of LIKE wildcards, backslashes, quotes and very long text.
/// A search never returns what the token cannot read, and every pattern is answered quickly as text (200) or refused
/// (400), never a 5xx.
/// </summary>
[TestClass]
public sealed class SearchAttacks
{
    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];
    private static readonly string Marker = $"needle-{Run}";
    private static readonly (string Type, string? Agent, string? User)[] Parties =
    [
        ("audit", $"agent-a-{Run}", $"user-a-{Run}"),
        ("anomaly.detected", $"agent-b-{Run}", $"user-b-{Run}"),
        ("auth.failed", null, $"user-b-{Run}"),
        ("agent.created", $"agent-c-{Run}", null),
        ("audit", null, null),
    ];

    private static readonly List<(long Sequence, (string Type, string? Agent, string? User) Party)> Emitted = [];

    private static AttackCluster Cluster => AttackSuite.Cluster;

    [ClassInitialize]
    public static async Task EmitAsync(TestContext context)
    {
        using var emitter = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter("search-emitter"));
        // Every event holds the marker, and names the other parties in its data: text alone must never widen a grant.
        var others = string.Join(" ", Parties.Select(p => $"{p.Agent} {p.User}"));
        var sequences = await emitter.EmitOkAsync([.. Parties.Select(p => Api.Event(p.Type, p.Agent, p.User,
            data: new JsonObject { ["note"] = $"{Marker} 100%_sure \\ \"quoted\" {others}" }))]);
        Emitted.AddRange(sequences.Select((s, i) => (s, Parties[i])));
    }

    public static IEnumerable<object[]> Grants =>
    [
        ["users [a]", new JsonObject { [KavachClaims.Users] = new JsonArray($"user-a-{Run}") }],
        ["users [b]", new JsonObject { [KavachClaims.Users] = new JsonArray($"user-b-{Run}") }],
        ["agents [c]", new JsonObject { [KavachClaims.Agents] = new JsonArray($"agent-c-{Run}") }],
        ["types [anomaly.detected]", new JsonObject { [KavachClaims.Types] = new JsonArray("anomaly.detected") }],
        ["users []", new JsonObject { [KavachClaims.Users] = new JsonArray() }],
    ];

    [TestMethod]
    [DynamicData(nameof(Grants))]
    public async Task ARestrictedReaderFindsOnlyWhatItsGrantAllows(string name, JsonObject claims)
    {
        var oracle = GrantOracle.Of("search-reader", claims);
        var expected = Emitted.Where(e => oracle.Allows(new Party(e.Party.Type, e.Party.Agent, e.Party.User))).Select(e => e.Sequence).ToList();
        using var reader = new Api(Cluster.Replicas[1].BaseAddress, Forge.Reader("search-reader", claims));
        var searches = new List<string> { Marker, "100%_sure" };
        // The other parties' ids, as text: they are in every event's data, and in the other parties' own fields.
        searches.AddRange(Parties.SelectMany(p => new[] { p.Agent, p.User }).OfType<string>().Distinct());
        foreach (var q in searches)
        {
            var found = (await reader.AllPagesAsync($"&q={Uri.EscapeDataString(q)}", limit: 2))
                .Select(e => e.GetProperty("sequence").GetInt64()).Where(s => Emitted.Any(x => x.Sequence == s)).ToList();
            CollectionAssert.IsSubsetOf(found, expected, $"{name} searching '{q}': returned {string.Join(",", found)}, allowed {string.Join(",", expected)}");
            if (q == Marker)
            {
                CollectionAssert.AreEqual(expected, found, $"{name}: the marker is in every event it may read");
            }
        }

        // Naming a party the grant never covers beside the search is refused, as without it.
        if (claims.ContainsKey(KavachClaims.Users) && !claims.ContainsKey(KavachClaims.Agents))
        {
            var refused = await reader.GetAsync($"{Api.Events}?q={Marker}&userId=user-z-{Run}");
            Assert.AreEqual(HttpStatusCode.Forbidden, refused.Status, refused.ToString());
        }

        Findings.Record($"search as {name}", $"{expected.Count} of {Emitted.Count} events found, none beyond the grant");
    }

    public static IEnumerable<object[]> Patterns =>
    [
        ["percent", "%%%"],
        ["underscores", "___"],
        ["mixed wildcards", string.Concat(Enumerable.Repeat("%_", 100))],
        ["backslashes", "\\\\\\"],
        ["escape then wildcard", "\\%\\_"],
        ["quotes", "\"\"\"'''"],
        ["regex-looking", ".*(a|b)+$^[x]"],
        ["200 percent signs", new string('%', 200)],
        ["unicode", "🔥🔥🔥 ünïcødé"],
        ["201 characters", new string('a', 201)],
        ["8000 characters", new string('%', 8000)],
        ["NUL", "ab\0cd"],
        ["only spaces", "      "],
    ];

    [TestMethod]
    [DynamicData(nameof(Patterns))]
    public async Task APathologicalPatternIsTextOrRefusedQuickly(string name, string q)
    {
        using var reader = new Api(Cluster.Replicas[0].BaseAddress, Forge.Reader("search-patterns"));
        var watch = Stopwatch.StartNew();
        var answer = await reader.GetAsync($"{Api.Events}?limit=1000&q={Uri.EscapeDataString(q)}");
        watch.Stop();
        Findings.Record($"search pattern {name}", $"{(int)answer.Status} in {watch.ElapsedMilliseconds} ms");
        Assert.IsTrue(answer.Status is HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.RequestUriTooLong, answer.ToString());
        Assert.IsLessThan(10_000, watch.ElapsedMilliseconds, $"{name}: {answer}");
        if (answer.Status != HttpStatusCode.OK)
        {
            return;
        }

        // Found as text: the encoded text is in every returned event as it is served.
        var encoded = JsonEncodedText.Encode(q.Trim()).ToString();
        foreach (var e in answer.Json.GetProperty("events").EnumerateArray())
        {
            var body = e.GetRawText();
            Assert.IsTrue(body.Contains(encoded, StringComparison.OrdinalIgnoreCase), $"{name}: #{e.GetProperty("sequence").GetInt64()} does not hold the text: {body}");
        }
    }
}
