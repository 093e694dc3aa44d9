using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Kavach.Tests.Support;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// What emit accepts, every read path returns intact: the accepted side of each input boundary is emitted and read
/// back through pages (stepping one event at a time with <c>after=</c>), replay, a resumed stream on each replica and
/// a live stream. The refused side answers 400 naming the field and stores nothing.
/// </summary>
[TestClass]
public sealed class InputRoundTripTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static string Nested(int depth, string leaf) =>
        string.Concat(Enumerable.Repeat("{\"level\":", depth - 1)) + "{\"leaf\":" + leaf + "}" + new string('}', depth - 1);

    /// <summary>The boundary events, as raw JSON (escapes exactly as a client writes them), with the expected timestamp.</summary>
    private static List<(string Json, string Id, DateTimeOffset? Timestamp)> BoundaryEvents(string run)
    {
        var strings = """{"controls":"\u0001\u001f\b\f\n\r\t","pair":"\ud83d\ude00 😀","separators":"\u2028\u2029","noncharacters":"\ufffe\uffff\udbff\udfff","html":"<script>&'\"","\u0001key":"é"}""";
        var numbers = "{\"max\":1.7976931348623157e308,\"min\":-1.7976931348623157E+308,\"tiny\":5e-324,\"underflow\":1e-400," +
            "\"scale\":1e-16383,\"zero\":-0,\"exact\":123456789012345678901234567890.123456789012345678901234567890," +
            "\"long\":0." + new string('7', 16383) + ",\"big\":1" + new string('0', 308) + "}";
        string Event(int i, string fields) => $$"""{"type":"audit","id":"{{run}}-{{i}}",{{fields}}}""";
        var longText = new string('x', 190);
        return
        [
            (Event(0, $$"""
                "agentId":"{{run}}-agent \u2028\u2029 \ufffe\uffff 😀","userId":"{{longText}}\ud83d\ude00é\u00e9ab","data":{{strings}}
                """), $"{run}-0", null),
            (Event(1, $$"""
                "data":{{numbers}},"timestamp":"0001-01-01T00:00:00Z"
                """), $"{run}-1", DateTimeOffset.MinValue),
            (Event(2, $$"""
                "data":{{Nested(32, "\"deepest\"")}},"timestamp":"9999-12-31T23:59:59.9999999Z"
                """), $"{run}-2", DateTimeOffset.MaxValue.AddTicks(-9)),
            (Event(3, """
                "timestamp":"0001-01-01T00:59:59-01:00","data":{"k":{"k":null,"j":[true,false,[],{}]}}
                """), $"{run}-3", new DateTimeOffset(1, 1, 1, 1, 59, 59, TimeSpan.Zero)),
        ];
    }

    [TestMethod]
    public async Task AcceptedBoundaryValuesComeBackIntactThroughEveryReadPath()
    {
        var run = $"rt-{Guid.NewGuid():N}";
        var sent = BoundaryEvents(run);
        var batchOfOne = $$"""{"type":"audit","id":"{{run}}-4","data":{{Nested(30, "[1,[2]]")}}}""";
        var batch = $"[{string.Join(",", sent.Skip(1).Select(s => s.Json))},{batchOfOne}]";
        var expected = sent.Select(s => (s.Id, s.Json)).Append(($"{run}-4", batchOfOne)).ToDictionary(e => e.Item1, e => JsonDocument.Parse(e.Item2).RootElement.Clone());

        using var emitter = new EventsClient(KavachSystem.StreamApiReplicas[0], Tokens.EmitterAndReader());
        await using var live = await SseClient.ConnectAsync(KavachSystem.StreamApiReplicas[1], Tokens.Reader());
        Assert.AreEqual("connected", (await live.NextAsync()).EventType);

        var answers = new List<Emitted>();
        foreach (var body in new[] { sent[0].Json, batch })
        {
            using var response = await emitter.Http.PostAsync("/api/kavach/events", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, text);
            answers.AddRange(JsonDocument.Parse(text).RootElement.GetProperty("events").EnumerateArray()
                .Select(e => new Emitted(e.GetProperty("id").GetString()!, e.GetProperty("sequence").GetInt64(), e.GetProperty("timestamp").GetDateTimeOffset())));
        }

        foreach (var (_, id, timestamp) in sent.Where(s => s.Timestamp is not null))
        {
            Assert.AreEqual(timestamp, answers.Single(a => a.Id == id).Timestamp, $"emit's answer for {id}");
        }

        var first = answers.Min(a => a.Sequence);
        var last = answers.Max(a => a.Sequence);
        void CheckAll(IEnumerable<JsonElement> events, string path)
        {
            var ours = events.Where(e => expected.ContainsKey(e.GetProperty("id").GetString()!)).ToList();
            Assert.HasCount(expected.Count, ours, $"{path} returned {ours.Count} of {expected.Count} events");
            foreach (var stored in ours)
            {
                var id = stored.GetProperty("id").GetString()!;
                var answer = answers.Single(a => a.Id == id);
                Assert.AreEqual(answer.Sequence, stored.GetProperty("sequence").GetInt64(), $"{path}: sequence of {id}");
                Assert.AreEqual(answer.Timestamp, stored.GetProperty("timestamp").GetDateTimeOffset(), $"{path}: timestamp of {id}");
                foreach (var field in new[] { "type", "agentId", "userId" })
                {
                    Assert.AreEqual(expected[id].TryGetProperty(field, out var want) ? want.GetString() : null,
                        stored.TryGetProperty(field, out var got) ? got.GetString() : null, $"{path}: {field} of {id}");
                }

                var sentData = expected[id].TryGetProperty("data", out var d) ? d : JsonDocument.Parse("{}").RootElement;
                Assert.IsTrue(JsonEquivalent(sentData, stored.GetProperty("data"), out var where), $"{path}: data of {id} differs at {where}");
            }
        }

        // Pages, one event at a time, so every event is once the last of a page and the cursor must step past it.
        var paged = new List<JsonElement>();
        for (var after = first - 1; after < last;)
        {
            var page = await emitter.GetJsonAsync($"/api/kavach/events?after={after}&limit=1");
            var events = page.GetProperty("events").EnumerateArray().ToList();
            Assert.HasCount(1, events, $"the page after {after} is empty before {last}");
            paged.AddRange(events);
            after = events[0].GetProperty("sequence").GetInt64();
        }

        CheckAll(paged, "page");

        using var reader = new EventsClient(KavachSystem.StreamApiReplicas[1], Tokens.Reader());
        var replay = await reader.GetJsonAsync("/api/kavach/events/replay?since=0001-01-01T00:00:00Z&types=audit");
        CheckAll(replay.GetProperty("events").EnumerateArray(), "replay");

        foreach (var replica in KavachSystem.StreamApiReplicas)
        {
            await using var resumed = await SseClient.ConnectAsync(replica, Tokens.Reader(), lastEventId: (first - 1).ToString(CultureInfo.InvariantCulture));
            var received = await resumed.CollectAsync(r => r.Any(e => e.Sequence >= last), Generous);
            Assert.IsTrue(received.All(r => r.Id == r.Sequence.ToString(CultureInfo.InvariantCulture)), "SSE id: is the sequence");
            CheckAll(received.Select(r => r.Json), $"stream resumed on {replica}");
        }

        var liveEvents = await live.CollectAsync(r => r.Any(e => e.Sequence >= last), Generous);
        CheckAll(liveEvents.Select(r => r.Json), "live stream (fanned out through Redis)");
    }

    [TestMethod]
    [DataRow("""{"type":"audit","agentId":"AGENT","data":{"k":"\u0000"}}""", "data")]
    [DataRow("""{"type":"audit","agentId":"AGENT","data":{"k":"\udc00\ud800"}}""", "data")]
    [DataRow("""{"type":"audit","agentId":"AGENT","data":{"k":1e1000000}}""", "data")]
    [DataRow("""{"type":"audit","agentId":"AGENT","data":{"k":1e-100000}}""", "data")]
    [DataRow("""{"type":"audit","agentId":"AGENT","userId":"\ud800"}""", "userId")]
    [DataRow("""{"type":"audit","agentId":"AGENT","timestamp":"0001-01-01T00:00:00+01:00"}""", "timestamp")]
    [DataRow("""[{"type":"audit","agentId":"AGENT"},{"type":"audit","agentId":"AGENT","data":{"a":1,"a":2}}]""", "[1].data")]
    public async Task RefusedBoundaryValuesAre400NamingTheFieldAndStoreNothing(string template, string field)
    {
        var agent = $"agent-{Guid.NewGuid():N}";
        using var emitter = new EventsClient(KavachSystem.StreamApi, Tokens.EmitterAndReader());
        using var response = await emitter.Http.PostAsync("/api/kavach/events",
            new StringContent(template.Replace("AGENT", agent, StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, body);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.IsTrue(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out _), body);
        Assert.IsEmpty(await emitter.PageAllAsync(agent), "a refused emit stored something");
    }

    [TestMethod]
    public async Task InvalidUtf8BodyIs400()
    {
        using var emitter = new EventsClient(KavachSystem.StreamApi, Tokens.EmitterAndReader());
        var content = new ByteArrayContent([.. "{\"type\":\"audit\",\"agentId\":\"a"u8, 0xED, 0xA0, 0x80, .. "\"}"u8]);
        content.Headers.ContentType = new("application/json");
        using var response = await emitter.Http.PostAsync("/api/kavach/events", content);
        var body = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, body);
        StringAssert.Contains(body, "not valid UTF-8");
    }

    [TestMethod]
    [DataRow("/api/kavach/events?limit=abc", "limit")]
    [DataRow("/api/kavach/events?after=1e3", "after")]
    [DataRow("/api/kavach/events?after=99999999999999999999", "after")]
    [DataRow("/api/kavach/events?agentId=%00", "agentId")]
    public async Task BadQueryValuesAre400SayingWhichOne(string path, string parameter)
    {
        using var reader = new EventsClient(KavachSystem.StreamApi, Tokens.Reader());
        using var response = await reader.Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, body);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        StringAssert.Contains(body, parameter);
    }

    /// <summary>
    /// JSON equality as jsonb keeps it: object members in any order, numbers by value (jsonb writes them without an
    /// exponent: 1e308 comes back as 309 digits), strings and everything else exactly.
    /// </summary>
    private static bool JsonEquivalent(JsonElement sent, JsonElement stored, out string where, string path = "data")
    {
        where = path;
        if (sent.ValueKind != stored.ValueKind)
        {
            return false;
        }

        switch (sent.ValueKind)
        {
            case JsonValueKind.Object:
                var storedMembers = stored.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                if (storedMembers.Count != sent.EnumerateObject().Count())
                {
                    return false;
                }

                foreach (var member in sent.EnumerateObject())
                {
                    if (!storedMembers.TryGetValue(member.Name, out var value) || !JsonEquivalent(member.Value, value, out where, $"{path}.{member.Name}"))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                var sentItems = sent.EnumerateArray().ToList();
                var storedItems = stored.EnumerateArray().ToList();
                return sentItems.Count == storedItems.Count
                    && sentItems.Select((item, i) => (item, i)).All(x => JsonEquivalent(x.item, storedItems[x.i], out _, $"{path}[{x.i}]"));
            case JsonValueKind.Number:
                return CanonicalNumber(sent.GetRawText()) == CanonicalNumber(stored.GetRawText());
            case JsonValueKind.String:
                return sent.GetString() == stored.GetString();
            default:
                return true;
        }
    }

    /// <summary>A decimal number as (sign, significant digits, exponent of the first digit): equal values, equal forms.</summary>
    private static string CanonicalNumber(string number)
    {
        var negative = number.StartsWith('-');
        var body = number.TrimStart('-');
        var exponentAt = body.IndexOfAny(['e', 'E']);
        var exponent = exponentAt < 0 ? 0 : long.Parse(body[(exponentAt + 1)..], CultureInfo.InvariantCulture);
        var mantissa = exponentAt < 0 ? body : body[..exponentAt];
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = point < 0 ? mantissa.Length : point;
        var digits = mantissa.Replace(".", "", StringComparison.Ordinal);
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        return digits.Length == 0 ? "0" : $"{(negative ? "-" : "")}{digits}e{integerDigits - leading + exponent}";
    }
}
