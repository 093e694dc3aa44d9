using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Persistence.Migrations;
using Kavach.Tests.Support;
using Npgsql;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// Events stored before bodies were (migration 3) were served from <c>data</c>, a body built on every read; migration 11
/// writes that body into the row once. A database the previous build left, holding such events, is upgraded by a
/// replica starting on it: each event is served with the very bytes the previous read path wrote for it.
/// </summary>
[TestClass]
public sealed class StoredBodyMigrationTests
{
    /// <summary>Data as clients sent it, each testing one way jsonb and System.Text.Json write JSON differently.</summary>
    private static readonly string[] Data =
    [
        "{}",
        """{"b":1,"a":2,"b":3,"aa":[],"":{}}""",
        """{"html":"<script>alert('x' + `y`) & \"z\"</script>","slash":"a/b\\c"}""",
        """{"controls":"\u0001\u001f\b\f\n\r\t\u007f","separators":"\u2028\u2029","noncharacters":"\ufffe\uffff"}""",
        """{"é":"Ōsaka → Lisbon","pair":"\ud83d\ude00 😀","\ud83d\ude00":"\udbff\udfff","\u0001key":"\u00e9"}""",
        """{"n":[0,-0,1.50,1e3,1E-7,-12.0e+2,123456789012345678901234567890.123456789,5e-324,1.7976931348623157e308]}""",
        """{"t":true,"f":false,"z":null,"nested":{"k":{"k":null,"j":[true,false,[],{},[[]],{"x":{}}]}}}""",
        """{"spaces":"a, b: c","quotes":"\"\"","braces":"{\"a\": [1, 2]}","escaped slash":"\/"}""",
        "{\"deep\":" + new string('[', 200) + "\"bottom\"" + new string(']', 200) + "}",
    ];

    private static readonly DateTimeOffset[] Timestamps =
    [
        new(2026, 11, 28, 7, 55, 6, TimeSpan.Zero),
        new DateTimeOffset(2026, 11, 28, 7, 55, 6, 570, TimeSpan.Zero),
        new DateTimeOffset(2026, 11, 28, 7, 55, 6, 572, TimeSpan.Zero).AddTicks(3610),
        new DateTimeOffset(2026, 11, 28, 7, 55, 6, TimeSpan.Zero).AddTicks(10),
        new DateTimeOffset(2026, 11, 28, 7, 55, 6, TimeSpan.Zero).AddTicks(1_000_000),
        new(1, 1, 1, 0, 0, 0, TimeSpan.Zero), // Npgsql stores DateTimeOffset.MinValue as -infinity
        DateTimeOffset.MaxValue, // and MaxValue as infinity
        new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_990),
        new(1, 1, 1, 0, 0, 1, TimeSpan.Zero),
    ];

    private static readonly string?[] Parties = [null, "agent-1", "", "Ōsaka <&> \"quoted\" \\ 😀 \u007f\u0001", "\ufffe"];

    [TestMethod]
    public async Task EventsStoredBeforeBodiesAreServedByteForByteAsBeforeTheUpgradeAndStayUnchained()
    {
        var database = await CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database);
        foreach (var migration in SchemaMigration.All.Where(m => m.Version <= 10))
        {
            await ExecuteAsync(dataSource, migration.Sql);
        }

        var legacy = LegacyRows();
        foreach (var row in legacy)
        {
            await using var insert = dataSource.CreateCommand("""
                INSERT INTO kavach_stream_events (sequence, id, type, timestamp, data, agent_id, user_id) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
                """);
            foreach (var value in new object?[] { row.Sequence, row.Id, row.Type, row.Timestamp, row.Data, row.AgentId, row.UserId })
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
            }

            await insert.ExecuteNonQueryAsync();
        }

        var head = legacy[^1].Sequence;
        await ExecuteAsync(dataSource, $"UPDATE kavach_stream_sequence SET last_value = {head}");
        var servedBefore = await ServedByThePreviousBuildAsync(dataSource);

        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?> { ["ConnectionStrings:kavachdb"] = database });
        Assert.AreEqual(0L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM kavach_stream_events WHERE body IS NULL"));
        Assert.AreEqual((long)SchemaMigration.LatestVersion, await ScalarAsync<long>(dataSource, "SELECT max(version)::bigint FROM kavach_schema_migrations"));

        using var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.EmitterAndReader("stored-body-migration"));
        using var page = JsonDocument.Parse(await http.GetStringAsync($"/api/kavach/events?after={OldestPruned}&limit={legacy.Count}", TestContext.CancellationToken),
            new JsonDocumentOptions { MaxDepth = StreamEvent.MaxStoredDepth + 8 });
        var servedAfter = page.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetRawText()).ToList();
        Assert.HasCount(legacy.Count, servedAfter);
        for (var i = 0; i < legacy.Count; i++)
        {
            Assert.AreEqual(servedBefore[i], servedAfter[i], $"event {legacy[i].Sequence}, data {legacy[i].Data}");
        }

        // What the upgraded database commits is chained from the zero hash; the events from before stay outside the chain.
        using var emitted = await http.PostAsync("/api/kavach/events", new StringContent(
            """[{"type":"audit","data":{"after":"the upgrade"}},{"type":"audit","data":{}}]""", Encoding.UTF8, "application/json"),
            TestContext.CancellationToken);
        Assert.IsTrue(emitted.IsSuccessStatusCode, await emitted.Content.ReadAsStringAsync(TestContext.CancellationToken));
        Assert.AreEqual(0L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM kavach_stream_events WHERE data IS NOT NULL AND sequence > " + head),
            "an event committed after the upgrade stored data");
        using var report = JsonDocument.Parse(await http.GetStringAsync("/api/kavach/events/verify", TestContext.CancellationToken));
        Assert.IsTrue(report.RootElement.GetProperty("valid").GetBoolean(), report.RootElement.ToString());
        Assert.AreEqual(legacy.Count, report.RootElement.GetProperty("unchained").GetInt64(), report.RootElement.ToString());
        Assert.AreEqual(2, report.RootElement.GetProperty("checked").GetInt64(), report.RootElement.ToString());
    }

    public TestContext TestContext { get; set; } = null!;

    /// <summary>The retention of that time removed the oldest events without keeping an anchor.</summary>
    private const long OldestPruned = 100;

    private sealed record LegacyRow(long Sequence, string Id, string Type, DateTimeOffset Timestamp, string Data, string? AgentId, string? UserId);

    /// <summary>Every data sample with every timestamp and party at least once, then seeded random data and text.</summary>
    private static List<LegacyRow> LegacyRows()
    {
        var rows = new List<LegacyRow>();
        var random = new Random(19);
        var count = Data.Length * Timestamps.Length;
        for (var i = 0; i < count + 300; i++)
        {
            var data = i < count ? Data[i % Data.Length] : RandomObject(random, 0);
            var timestamp = i < count ? Timestamps[i / Data.Length] : new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(0, 10_000_000_000) * 10);
            rows.Add(new LegacyRow(OldestPruned + i + 1, $"legacy-{i}~{RandomText(random, 6)}", KavachEventTypesInOrder[i % KavachEventTypesInOrder.Length], timestamp, data,
                Parties[i % Parties.Length], i % 3 == 0 ? null : RandomText(random, 8)));
        }

        return rows;
    }

    private static readonly string[] KavachEventTypesInOrder = [.. EventTypeCatalog.All];

    /// <summary>Text of every kind: printable ASCII, controls, two- and three-byte characters, characters beyond U+FFFF.</summary>
    private static string RandomText(Random random, int maxLength)
    {
        var text = new StringBuilder();
        for (var i = random.Next(maxLength + 1); i > 0; i--)
        {
            var codePoint = random.Next(8) switch
            {
                0 => random.Next(1, 0x20),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(0x800, 0xD800),
                3 => random.Next(0xE000, 0x10000),
                4 => random.Next(0x10000, 0x110000),
                _ => random.Next(0x20, 0x80),
            };
            text.Append(char.ConvertFromUtf32(codePoint));
        }

        return text.ToString();
    }

    private static string RandomObject(Random random, int depth) =>
        "{" + string.Join(", ", Enumerable.Range(0, random.Next(5)).Select(_ => JsonSerializer.Serialize(RandomText(random, 5)) + ": " + RandomValue(random, depth + 1))) + "}";

    private static string RandomValue(Random random, int depth) => (depth > 5 ? random.Next(4) : random.Next(6)) switch
    {
        0 => JsonSerializer.Serialize(RandomText(random, 10)),
        1 => random.Next(6) switch { 0 => "1e3", 1 => "-0", 2 => "1.50", 3 => "2E-5", 4 => "-7", _ => random.Next().ToString(CultureInfo.InvariantCulture) },
        2 => random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" },
        3 => "\"" + string.Concat(RandomText(random, 6).Select(c => $"\\u{(int)c:x4}")) + "\"",
        4 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1))) + "]",
        _ => RandomObject(random, depth),
    };

    /// <summary>
    /// What the previous build served for each event, in sequence order: its read path parsed <c>data::text</c> and built
    /// the body with <see cref="StoredEvent.BodyOf"/>, then wrote the event as every read path does.
    /// </summary>
    private static async Task<List<string>> ServedByThePreviousBuildAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT sequence, id, type, timestamp, agent_id, user_id, committed_at, data::text FROM kavach_stream_events ORDER BY sequence");
        await using var reader = await command.ExecuteReaderAsync();
        var served = new List<string>();
        while (await reader.ReadAsync())
        {
            var (id, type, timestamp) = (reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3));
            var agentId = reader.IsDBNull(4) ? null : reader.GetString(4);
            var userId = reader.IsDBNull(5) ? null : reader.GetString(5);
            using var data = JsonDocument.Parse(reader.GetString(7), new JsonDocumentOptions { MaxDepth = StreamEvent.MaxStoredDepth });
            var body = StoredEvent.BodyOf(id, type, timestamp, data.RootElement, agentId, userId);
            served.Add(new StoredEvent(reader.GetInt64(0), id, type, agentId, userId, timestamp, reader.GetFieldValue<DateTimeOffset>(6), body).Json());
        }

        return served;
    }

    /// <summary>A new database on the test system's PostgreSQL; its connection string.</summary>
    private static async Task<string> CreateDatabaseAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(await KavachSystem.DatabaseConnectionStringAsync());
        var name = $"kavach_bodies_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        server.Database = name;
        return server.ConnectionString;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
