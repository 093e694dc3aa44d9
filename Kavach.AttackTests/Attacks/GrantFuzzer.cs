using Kavach.StreamApi.Events;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Random claim sets × random request filters × every read path — a live stream, a resumed stream, pages,
/// <c>/replay</c>, <c>/verify</c> and the in-process module — each answer checked against <see cref="GrantOracle"/>:
/// nothing outside the grant (and the request's own filters) is ever returned, and, when the answer is 200, everything
/// inside it is. The seed is printed; <c>KAVACH_FUZZ_SEED</c> replays a run, <c>KAVACH_FUZZ_CASES</c> sizes it.
/// </summary>
[TestClass]
public sealed class GrantFuzzer
{
    private static readonly string[] Types = ["audit", "anomaly.detected", "agent.created", "auth.failed"];

    private static AttackCluster Cluster => AttackSuite.Cluster;

    private sealed record Case(int Index, string Subject, JsonObject Claims, GrantOracle Oracle, string[]? TypesFilter, string? AgentFilter, string? UserFilter)
    {
        public string Token { get; } = Forge.Reader(Subject, Claims);

        public string Query(bool withParties) =>
            (TypesFilter is null ? "" : "&types=" + string.Join(',', TypesFilter))
            + (withParties && AgentFilter is not null ? "&agentId=" + AgentFilter : "")
            + (withParties && UserFilter is not null ? "&userId=" + UserFilter : "");

        public bool Wants(Party e, bool withParties) =>
            Oracle.Allows(e)
            && (TypesFilter is null || TypesFilter.Contains(e.Type))
            && (!withParties || AgentFilter is null || AgentFilter == e.AgentId)
            && (!withParties || UserFilter is null || UserFilter == e.UserId);

        public override string ToString() =>
            $"case {Index}: sub={Subject} claims={Claims.ToJsonString()} types={(TypesFilter is null ? "-" : string.Join(',', TypesFilter))} agentId={AgentFilter ?? "-"} userId={UserFilter ?? "-"}";
    }

    [TestMethod]
    public async Task NothingOutsideTheGrantIsEverReturned()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("KAVACH_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var count = int.TryParse(Environment.GetEnvironmentVariable("KAVACH_FUZZ_CASES"), CultureInfo.InvariantCulture, out var c) ? c : 60;
        var random = new Random(seed);
        var run = Guid.NewGuid().ToString("N")[..6];
        string[] agents = [$"fa0-{run}", $"fa1-{run}", $"fa2-{run}"];
        string[] users = [$"fu0-{run}", $"fu1-{run}", $"fu2-{run}"];
        var cases = Enumerable.Range(0, count).Select(i => RandomCase(i, random, agents, users)).ToList();
        var checks = 0;
        Console.WriteLine($"Grant fuzzer: seed {seed}, {count} cases (replay with KAVACH_FUZZ_SEED={seed})");

        // The live streams open before anything is emitted, on both replicas.
        var live = new List<(Case Case, RawStream Stream)>();
        foreach (var fuzz in cases)
        {
            live.Add((fuzz, await RawStream.OpenAsync(Cluster.Replicas[fuzz.Index % 2].BaseAddress, fuzz.Token, "?x=1" + fuzz.Query(withParties: true))));
        }

        var before = await Cluster.ScalarAsync<long>("SELECT last_value FROM kavach_stream_sequence");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var parties = (from type in Types
                       from agent in agents.Append(null)
                       from user in users.Append(null)
                       select new Party(type, agent, user)).ToList();
        using var emitter = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter("fuzz-emitter"));
        var sequences = await emitter.EmitOkAsync([.. parties.Select(p => Api.Event(p.Type, p.AgentId, p.UserId))]);
        var emitted = sequences.Zip(parties).ToDictionary(x => x.First, x => x.Second);

        List<long> Ours(IEnumerable<long> returned) => [.. returned.Where(emitted.ContainsKey)];

        void Check(Case fuzz, string path, HttpStatusCode status, List<long> returned, bool withParties)
        {
            checks++;
            if (!fuzz.Oracle.Valid)
            {
                Assert.AreEqual(HttpStatusCode.Unauthorized, status, $"{path}, {fuzz}");
                return;
            }

            Assert.IsTrue(status is HttpStatusCode.OK or HttpStatusCode.Forbidden, $"{path} answered {(int)status}, {fuzz}");
            var leaked = returned.Where(q => !fuzz.Wants(emitted[q], withParties)).ToList();
            Assert.IsEmpty(leaked, $"{path} returned events outside the grant: {string.Join("; ", leaked.Select(q => emitted[q]))}, {fuzz}");
            if (status == HttpStatusCode.OK)
            {
                var expected = emitted.Where(e => fuzz.Wants(e.Value, withParties)).Select(e => e.Key).Order().ToList();
                CollectionAssert.AreEqual(expected, returned.Order().ToList(), $"{path} left out events inside the grant, {fuzz}");
            }
        }

        // Live: every stream got what it may read of the batch, nothing else (all collected at once).
        var liveFrames = await Task.WhenAll(live.Select(async l =>
            l.Stream.Status == HttpStatusCode.OK ? await l.Stream.CollectAsync(TimeSpan.FromSeconds(1)) : []));
        foreach (var ((fuzz, stream), frames) in live.Zip(liveFrames))
        {
            await stream.DisposeAsync();
            Check(fuzz, "live stream", stream.Status, Ours(frames.Where(f => f.IsEvent).Select(f => f.Json.GetProperty("sequence").GetInt64())), true);
        }

        // Resumed from before the batch, on the other replica (all at once).
        var resumed = await Task.WhenAll(cases.Select(async fuzz =>
        {
            await using var stream = await RawStream.OpenAsync(Cluster.Replicas[(fuzz.Index + 1) % 2].BaseAddress, fuzz.Token,
                "?x=1" + fuzz.Query(withParties: true), before.ToString(CultureInfo.InvariantCulture));
            var frames = stream.Status == HttpStatusCode.OK ? await stream.CollectAsync(TimeSpan.FromSeconds(1.5)) : [];
            return (stream.Status, Sequences: Ours(frames.Where(f => f.IsEvent).Select(f => f.Json.GetProperty("sequence").GetInt64())));
        }));
        foreach (var (fuzz, (status, returned)) in cases.Zip(resumed))
        {
            Check(fuzz, "resumed stream", status, returned, true);
        }

        using var moduleHost = await ModuleHost.StartAsync(Cluster);
        foreach (var fuzz in cases)
        {
            var other = Cluster.Replicas[(fuzz.Index + 1) % 2].BaseAddress;
            using var api = new Api(other, fuzz.Token);
            var page = await api.GetAsync($"{Api.Events}?after={before}&limit=1000{fuzz.Query(withParties: true)}");
            Check(fuzz, "page", page.Status, page.Status == HttpStatusCode.OK ? Ours(Sequences(page.Json)) : [], true);

            var replay = await api.GetAsync($"{Api.Events}/replay?since={Uri.EscapeDataString(since.ToString("O"))}{fuzz.Query(withParties: false)}");
            Check(fuzz, "replay", replay.Status, replay.Status == HttpStatusCode.OK ? Ours(Sequences(replay.Json)) : [], false);

            var verify = await api.GetAsync($"{Api.Events}/verify?from={before + 1}");
            checks++;
            Assert.AreEqual(!fuzz.Oracle.Valid ? HttpStatusCode.Unauthorized : fuzz.Oracle.ReadsEverything ? HttpStatusCode.OK : HttpStatusCode.Forbidden,
                verify.Status, $"verify, {fuzz}");

            // The in-process module: the same claims through the same parser, then the module's own scope and replay.
            using var payload = JsonDocument.Parse(fuzz.Claims.ToJsonString());
            if (ReadGrant.TryParse(payload.RootElement, fuzz.Subject, out var grant, out _)
                && moduleHost.Module.TryScope(grant, fuzz.TypesFilter is null ? null : string.Join(',', fuzz.TypesFilter), fuzz.AgentFilter, fuzz.UserFilter,
                    out var scope, out _))
            {
                var read = await moduleHost.Module.ReplayAsync(since, scope);
                Check(fuzz, "module", HttpStatusCode.OK, Ours(read.Select(e => e.Sequence)), true);
            }
            else
            {
                checks++;
                Assert.IsFalse(fuzz.Oracle.Valid && fuzz.Oracle.ReadsEverything && fuzz.AgentFilter is null && fuzz.UserFilter is null,
                    $"the module refused a grant that reads everything, {fuzz}");
            }
        }

        Findings.Record("grant fuzzer", $"seed {seed}: {count} random grants × 6 read paths, {checks} answers checked against the oracle, none outside the grant");
    }

    private static IEnumerable<long> Sequences(JsonElement page) =>
        page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64());

    private static Case RandomCase(int index, Random random, string[] agents, string[] users)
    {
        var subjectIsParty = random.Next(5) == 0;
        var kind = subjectIsParty ? (random.Next(2) == 0 ? "agent" : "user") : null;
        var subject = kind switch
        {
            "agent" => agents[random.Next(agents.Length)],
            "user" => users[random.Next(users.Length)],
            _ => $"fuzz-reader-{index}",
        };
        var claims = new JsonObject();
        if (kind is not null)
        {
            claims[KavachClaims.SubjectKind] = random.Next(12) == 0 ? "Agent" : kind; // now and then a wrong case
        }

        foreach (var (claim, values) in new[] { (KavachClaims.Types, Types), (KavachClaims.Agents, agents), (KavachClaims.Users, users) })
        {
            JsonNode? value = random.Next(10) switch
            {
                < 4 => null, // absent
                4 => new JsonArray(),
                5 => values[random.Next(values.Length)],
                6 => new JsonArray(values[random.Next(values.Length)], values[random.Next(values.Length)]),
                7 => new JsonArray(values[random.Next(values.Length)]),
                8 => random.Next(3) switch { 0 => JsonValue.Create(7), 1 => new JsonObject(), _ => new JsonArray("") },
                _ => new JsonArray(values[random.Next(values.Length)].ToUpperInvariant()),
            };
            if (value is not null)
            {
                claims[claim] = value;
            }
        }

        if (random.Next(15) == 0)
        {
            claims[KavachClaims.Users] = null; // present, JSON null
        }

        var typesFilter = random.Next(3) == 0 ? Types.Where(_ => random.Next(2) == 0).DefaultIfEmpty(Types[0]).ToArray() : null;
        var agentFilter = random.Next(4) == 0 ? agents[random.Next(agents.Length)] : null;
        var userFilter = random.Next(5) == 0 ? users[random.Next(users.Length)] : null;
        return new Case(index, subject, claims, GrantOracle.Of(subject, claims), typesFilter, agentFilter, userFilter);
    }
}
