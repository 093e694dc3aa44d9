using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.Tests.Support;
using Npgsql;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// Search over history on the event pages: <c>q</c> finds text anywhere in the stored event, case-insensitively, beside
/// <c>userId</c>, <c>agentId</c>, <c>types</c> and the time range, paged with the same cursors; its wildcards are text.
/// </summary>
[TestClass]
public sealed class SearchTests
{
    private static Uri Api => KavachSystem.StreamApiReplicas[0];

    private static JsonObject Event(string type, string? agentId, string? userId, object data, DateTimeOffset? timestamp = null)
    {
        var e = EventsClient.Event(type, agentId, data);
        if (userId is not null)
        {
            e["userId"] = userId;
        }

        if (timestamp is { } t)
        {
            e["timestamp"] = t.ToString("O", CultureInfo.InvariantCulture);
        }

        return e;
    }

    private static async Task<List<JsonElement>> SearchAllAsync(EventsClient client, string query, int limit)
    {
        var events = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var page = await client.GetJsonAsync($"/api/kavach/events?after={after}&limit={limit}&{query}");
            events.AddRange(page.GetProperty("events").EnumerateArray());
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null)
            {
                return events;
            }

            after = page.GetProperty("next").GetInt64();
        }
    }

    private static string[] Ids(IEnumerable<JsonElement> events) => [.. events.Select(e => e.GetProperty("id").GetString()!)];

    [TestMethod]
    public async Task TextIsFoundInDataCaseInsensitivelyAndCombinesWithUserTypesTimeAndCursors()
    {
        var marker = $"Mallory-{Guid.NewGuid():N}";
        var (alice, bob) = ($"alice-{Guid.NewGuid():N}", $"bob-{Guid.NewGuid():N}");
        var early = DateTimeOffset.UtcNow.AddMinutes(-30);
        using var client = new EventsClient(Api, Tokens.EmitterAndReader());
        var emitted = await client.EmitAsync(
            Event("auth.failed", null, alice, new { reason = $"bad password from {marker}" }, early),
            Event("auth.failed", null, bob, new { reason = $"locked out: {marker.ToUpperInvariant()}" }),
            Event("audit", "agent-search", alice, new { action = $"read {marker} record" }),
            Event("audit", "agent-search", alice, new { action = "nothing to see" }),
            Event("auth.signin", null, alice, new { method = $"sso {marker}" }),
            Event("auth.failed", null, alice, new { reason = $"again {marker}" }));
        var matching = new[] { 0, 1, 2, 4, 5 }.Select(i => emitted[i].Id).ToArray();

        var q = "q=" + Uri.EscapeDataString(marker.ToLowerInvariant());
        CollectionAssert.AreEqual(matching, Ids(await SearchAllAsync(client, q, limit: 2)), "every match, once, in sequence order, over pages of 2");
        CollectionAssert.AreEqual(new[] { emitted[0].Id, emitted[2].Id, emitted[4].Id, emitted[5].Id },
            Ids(await SearchAllAsync(client, $"{q}&userId={alice}", limit: 100)));
        CollectionAssert.AreEqual(new[] { emitted[0].Id, emitted[5].Id },
            Ids(await SearchAllAsync(client, $"{q}&userId={alice}&types=auth.failed", limit: 1)));
        CollectionAssert.AreEqual(new[] { emitted[5].Id },
            Ids(await SearchAllAsync(client, $"{q}&userId={alice}&types=auth.failed&since={Uri.EscapeDataString(early.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture))}", limit: 100)));
        CollectionAssert.AreEqual(new[] { emitted[2].Id },
            Ids(await SearchAllAsync(client, $"{q}&agentId=agent-search", limit: 100)));
        CollectionAssert.AreEqual(new[] { emitted[1].Id },
            Ids(await SearchAllAsync(client, $"q={Uri.EscapeDataString("LOCKED OUT: " + marker)}", limit: 100)), "across words, any case");

        // The user id, and the event's own id, are text of the event too.
        CollectionAssert.AreEqual(new[] { emitted[1].Id }, Ids(await SearchAllAsync(client, $"q={bob}", limit: 100)));
        CollectionAssert.AreEqual(new[] { emitted[3].Id }, Ids(await SearchAllAsync(client, $"q={emitted[3].Id}", limit: 100)));
    }

    [TestMethod]
    public async Task WildcardsQuotesAndAccentsAreMatchedAsTextAsciiInAnyCase()
    {
        var marker = Guid.NewGuid().ToString("N");
        using var client = new EventsClient(Api, Tokens.EmitterAndReader());
        var emitted = await client.EmitAsync(
            Event("audit", null, null, new { note = $"50%_off {marker}" }),
            Event("audit", null, null, new { note = $"50ab_off {marker}" }),
            Event("audit", null, null, new { note = $"say \"café\" {marker}" }),
            Event("audit", null, null, new { note = $"C:\\temp\\{marker}" }));

        CollectionAssert.AreEqual(new[] { emitted[0].Id }, Ids(await SearchAllAsync(client, $"q={Uri.EscapeDataString($"0%_off {marker}")}", 100)));
        // ASCII letters in any case; other letters as they were written (they are stored as \uXXXX escapes).
        CollectionAssert.AreEqual(new[] { emitted[2].Id }, Ids(await SearchAllAsync(client, $"q={Uri.EscapeDataString($"SAY \"café\" {marker}")}", 100)));
        Assert.IsEmpty(await SearchAllAsync(client, $"q={Uri.EscapeDataString($"\"CAFÉ\" {marker}")}", 100));
        CollectionAssert.AreEqual(new[] { emitted[3].Id }, Ids(await SearchAllAsync(client, $"q={Uri.EscapeDataString($"temp\\{marker}")}", 100)));
        Assert.IsEmpty(await SearchAllAsync(client, $"q={Uri.EscapeDataString($"%{marker}_")}", 100));
    }

    [TestMethod]
    public async Task ABadSearchIsA400ThatSaysTheRule()
    {
        using var client = new EventsClient(Api, Tokens.Reader());
        foreach (var q in new[] { "ab", "  a ", new string('x', 201), "a%00bc", "ab%0Acd" })
        {
            using var response = await client.Http.GetAsync($"/api/kavach/events?q={q}");
            Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, q);
            StringAssert.Contains(await response.Content.ReadAsStringAsync(), "'q'", q);
        }
    }

    [TestMethod]
    public async Task TheMigrationLeavesAValidTrigramIndexOnTheStoredBody()
    {
        var server = new NpgsqlConnectionStringBuilder(await KavachSystem.DatabaseConnectionStringAsync()) { Database = "kavachdb" };
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indexrelid = to_regclass('ix_kavach_stream_events_body_trgm')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.IsTrue(await reader.ReadAsync(), $"the index exists in {server.Database}");
        Assert.IsTrue(reader.GetBoolean(0));
        StringAssert.Contains(reader.GetString(1), "gin (body gin_trgm_ops)");
    }
}
