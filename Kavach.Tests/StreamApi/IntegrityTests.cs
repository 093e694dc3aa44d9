using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kavach.ServiceDefaults.Auth;
using Kavach.Tests.Support;
using Npgsql;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// The tamper-evident log against the running system: every read path carries the chain, a subscriber can follow
/// it and check the signed checkpoints with nothing but the public key, and verification names what was done to
/// the stored events — altered, missing, reordered, inserted, or rewritten with the hashes to match.
/// The chain is recomputed here from the documented encoding (docs/integrity.md), not with the server's code.
/// </summary>
[TestClass]
public sealed class IntegrityTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static IReadOnlyList<Uri> Replicas => KavachSystem.StreamApiReplicas;

    [TestMethod]
    public async Task EveryReadPathCarriesTheChainAndASubscriberCanFollowItToASignedCheckpoint()
    {
        using var emitter = new EventsClient(Replicas[0], Tokens.EmitterAndReader());
        var marker = (await emitter.EmitAsync(EventsClient.Event("audit", "integrity-marker")))[0];
        var markerHash = await StoredHashAsync(emitter, marker.Sequence);

        await using var stream = await SseClient.ConnectAsync(Replicas[1], Tokens.Reader(), "?checkpoints=true",
            lastEventId: marker.Sequence.ToString(CultureInfo.InvariantCulture));
        var connected = await stream.NextAsync();
        var epoch = JsonDocument.Parse(connected.Data).RootElement.GetProperty("epoch").GetInt64();

        var emitted = new List<Emitted>();
        for (var i = 0; i < 20; i++)
        {
            using var client = new EventsClient(Replicas[i % 2], Tokens.EmitterAndReader());
            emitted.AddRange(await client.EmitAsync(EventsClient.Event(i % 3 == 0 ? "anomaly.detected" : "audit", $"integrity-{i % 4}")));
        }

        var last = emitted[^1].Sequence;
        var received = await stream.CollectAsync(
            r => r.Any(e => e.EventType == "checkpoint" && JsonDocument.Parse(e.Data).RootElement.GetProperty("sequence").GetInt64() >= last),
            Generous, withSignals: true);

        // The subscriber's own check: each event's hash follows from the previous one and the event as received.
        var previous = markerHash;
        var hashes = new Dictionary<long, byte[]>();
        foreach (var e in received.Where(e => e.IsStreamEvent))
        {
            var hash = Convert.FromHexString(e.Json.GetProperty("hash").GetString()!);
            CollectionAssert.AreEqual(Link(previous, epoch, WithoutHash(e.Data)), hash, $"event {e.Sequence} does not follow the chain");
            hashes[e.Sequence] = hash;
            previous = hash;
        }

        CollectionAssert.IsSubsetOf(emitted.Select(e => e.Sequence).ToList(), hashes.Keys.ToList(), "the stream missed an event");

        // The checkpoint: signed over the chain's hash where the subscriber has it, by the configured key.
        var checkpoint = JsonDocument.Parse(received.Last(e => e.EventType == "checkpoint").Data).RootElement;
        var at = checkpoint.GetProperty("sequence").GetInt64();
        Assert.AreEqual(epoch, checkpoint.GetProperty("epoch").GetInt64());
        Assert.AreEqual("ES256", checkpoint.GetProperty("algorithm").GetString());
        CollectionAssert.AreEqual(hashes[at], Convert.FromHexString(checkpoint.GetProperty("hash").GetString()!));
        Assert.IsTrue(SignatureHolds(checkpoint), "the checkpoint's signature does not verify with the configured public key");

        // Pages and replay carry the same hashes.
        var page = await emitter.GetJsonAsync($"/api/kavach/events?after={marker.Sequence}&limit=100");
        foreach (var e in page.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("sequence").GetInt64() <= last))
        {
            CollectionAssert.AreEqual(hashes[e.GetProperty("sequence").GetInt64()], Convert.FromHexString(e.GetProperty("hash").GetString()!));
        }

        var replay = await emitter.GetJsonAsync($"/api/kavach/events/replay?since={Uri.EscapeDataString(emitted[0].Timestamp.AddSeconds(-1).ToString("O"))}");
        var replayed = replay.GetProperty("events").EnumerateArray().Where(e => hashes.ContainsKey(e.GetProperty("sequence").GetInt64())).ToList();
        Assert.IsNotEmpty(replayed);
        foreach (var e in replayed)
        {
            CollectionAssert.AreEqual(hashes[e.GetProperty("sequence").GetInt64()], Convert.FromHexString(e.GetProperty("hash").GetString()!));
        }

        // And the listing shows it, with the key that verifies it.
        using var reader = new EventsClient(Replicas[0], Tokens.Reader());
        var listed = await reader.GetJsonAsync($"/api/kavach/events/checkpoints?after={at - 1}&limit=1");
        Assert.AreEqual(at, listed.GetProperty("checkpoints")[0].GetProperty("sequence").GetInt64());
        var keyId = listed.GetProperty("checkpoints")[0].GetProperty("keyId").GetString();
        var key = listed.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId);
        Assert.AreEqual(KavachSystem.CheckpointKey.ExportSubjectPublicKeyInfoPem().Trim(), key.GetProperty("publicKey").GetString()!.Trim());
    }

    [TestMethod]
    public async Task VerificationNamesAlteredMissingReorderedInsertedAndRewrittenEvents()
    {
        using var emitter = new EventsClient(Replicas[0], Tokens.EmitterAndReader());
        var batch = await emitter.EmitAsync([.. Enumerable.Range(0, 6).Select(i => EventsClient.Event("audit", "integrity-verify", new { i }))]);
        var (first, last) = (batch[0].Sequence, batch[^1].Sequence);
        Assert.AreEqual(5, last - first, "one emit's events get consecutive sequences");

        // Wait until a checkpoint covers the batch, so that rewriting the chain has something to contradict.
        using var reader = new EventsClient(Replicas[1], Tokens.Reader());
        var checkpointAt = await WaitForCheckpointAsync(reader, last);
        var report = await VerifyAsync(reader, first, checkpointAt);
        Assert.IsTrue(report.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.AreEqual(checkpointAt - first + 1, report.GetProperty("checked").GetInt64());
        Assert.IsGreaterThanOrEqualTo(1, report.GetProperty("checkpointsVerified").GetInt32());

        await using var database = new NpgsqlConnection(await KavachSystem.DatabaseConnectionStringAsync());
        await database.OpenAsync();

        await TamperedAsync(database, $"UPDATE kavach_stream_events SET body = replace(body, '\"i\":1', '\"i\":7') WHERE sequence = {first + 1}",
            () => ExpectBreakAsync(reader, first, checkpointAt, first + 1, "altered"));
        await TamperedAsync(database, $"UPDATE kavach_stream_events SET agent_id = 'someone-else' WHERE sequence = {first + 1}",
            () => ExpectBreakAsync(reader, first, checkpointAt, first + 1, "altered"));
        await TamperedAsync(database, $"DELETE FROM kavach_stream_events WHERE sequence = {first + 2}",
            () => ExpectBreakAsync(reader, first, checkpointAt, first + 2, "missing"));
        await TamperedAsync(database, $"""
            UPDATE kavach_stream_events SET id = id || '-tmp' WHERE sequence IN ({first + 3}, {first + 4});
            UPDATE kavach_stream_events e SET id = left(o.id, -4), type = o.type, timestamp = o.timestamp,
                agent_id = o.agent_id, user_id = o.user_id, body = o.body
            FROM kavach_stream_events o WHERE (e.sequence, o.sequence) IN (({first + 3}, {first + 4}), ({first + 4}, {first + 3}))
            """,
            () => ExpectBreakAsync(reader, first, checkpointAt, first + 3, "reordered"));
        await TamperedAsync(database, $"UPDATE kavach_stream_events SET hash = NULL WHERE sequence = {first + 1}",
            () => ExpectBreakAsync(reader, first, checkpointAt, first + 1, "inserted"));

        // Someone who knows the encoding alters an event and rewrites every hash after it: only the checkpoint can tell.
        var rows = await RowsAsync(database, first - 1, checkpointAt);
        var epochOf = await EpochsAsync(reader);
        var rewritten = new List<string>();
        var previous = rows[0].Hash;
        foreach (var row in rows.Skip(1))
        {
            var body = row.Sequence == first + 1 ? row.Body.Replace("\"i\":1", "\"i\":9", StringComparison.Ordinal) : row.Body;
            var hash = Link(previous, epochOf(row.Sequence), Encoding.UTF8.GetBytes(body[..^1] + $",\"sequence\":{row.Sequence}}}"));
            rewritten.Add($"UPDATE kavach_stream_events SET body = '{body.Replace("'", "''", StringComparison.Ordinal)}', hash = '\\x{Convert.ToHexStringLower(hash)}' WHERE sequence = {row.Sequence}");
            previous = hash;
        }

        await TamperedAsync(database, string.Join(";\n", rewritten), async () =>
        {
            var broken = await ExpectBreakAsync(reader, first, checkpointAt, checkpointAt, "altered");
            StringAssert.Contains(broken.GetProperty("detail").GetString(), "checkpoint");
        });

        Assert.IsTrue((await VerifyAsync(reader, first, checkpointAt)).GetProperty("valid").GetBoolean(), "the restored rows verify again");
    }

    [TestMethod]
    public async Task TheCommandLineVerifierNeedsOnlyTheApiAndThePublicKey()
    {
        using var emitter = new EventsClient(Replicas[0], Tokens.EmitterAndReader());
        var batch = await emitter.EmitAsync([.. Enumerable.Range(0, 4).Select(i => EventsClient.Event("audit", "integrity-cli", new { i }))]);
        var (first, last) = (batch[0].Sequence, batch[^1].Sequence);
        using var reader = new EventsClient(Replicas[1], Tokens.Reader());
        await WaitForCheckpointAsync(reader, last);

        var keyFile = Path.Combine(Path.GetTempPath(), $"kavach-checkpoint-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(keyFile, KavachSystem.CheckpointKey.ExportSubjectPublicKeyInfoPem());
        try
        {
            var (code, output) = await RunVerifierAsync(Replicas[1], keyFile, first);
            Assert.AreEqual(0, code, output);
            StringAssert.Contains(output, "Chain verified");
            StringAssert.Contains(output, "Signed through");

            await using var database = new NpgsqlConnection(await KavachSystem.DatabaseConnectionStringAsync());
            await database.OpenAsync();
            await TamperedAsync(database, $"UPDATE kavach_stream_events SET body = replace(body, '\"i\":2', '\"i\":5') WHERE sequence = {first + 2}",
                async () =>
                {
                    var (brokenCode, brokenOutput) = await RunVerifierAsync(Replicas[1], keyFile, first);
                    Assert.AreEqual(1, brokenCode, brokenOutput);
                    StringAssert.Contains(brokenOutput, $"Chain broken at #{first + 2}: altered");
                });
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    private static async Task<(int Code, string Output)> RunVerifierAsync(Uri api, string keyFile, long from)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Kavach.Aspire.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root was not found.");
        }

        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { "run", Path.Combine(root, "scripts", "verify-chain.cs"), "--", "--api", api.ToString(), "--token", Tokens.Reader(),
                "--key", keyFile, "--from", from.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output + await errors);
    }

    private static async Task<long> WaitForCheckpointAsync(EventsClient reader, long atLeast)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (DateTime.UtcNow < deadline)
        {
            var listed = await reader.GetJsonAsync($"/api/kavach/events/checkpoints?after={atLeast - 1}&limit=1");
            if (listed.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("sequence").GetInt64()).FirstOrDefault() is > 0 and var at)
            {
                return at;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"No checkpoint at or after {atLeast} was signed.");
    }

    [TestMethod]
    public async Task VerificationIsForReadersOfEveryEventAndRangesAreChecked()
    {
        using var narrowed = new EventsClient(Replicas[0], Tokens.Reader("hunter", new TokenGrants(Types: ["anomaly.detected"])));
        using var refused = await narrowed.Http.GetAsync("/api/kavach/events/verify");
        Assert.AreEqual(HttpStatusCode.Forbidden, refused.StatusCode);

        using var emitter = new EventsClient(Replicas[0], Tokens.Emitter());
        using var unscoped = await emitter.Http.GetAsync("/api/kavach/events/verify");
        Assert.AreEqual(HttpStatusCode.Forbidden, unscoped.StatusCode, "emitting is not reading");

        using var reader = new EventsClient(Replicas[0], Tokens.Reader());
        foreach (var query in new[] { "?from=0", "?from=10&to=5", "?from=abc", "?to=-1" })
        {
            using var bad = await reader.Http.GetAsync($"/api/kavach/events/verify{query}");
            Assert.AreEqual(HttpStatusCode.BadRequest, bad.StatusCode, query);
        }

        using var badCheckpoints = await reader.Http.GetAsync("/api/kavach/events/checkpoints?limit=0");
        Assert.AreEqual(HttpStatusCode.BadRequest, badCheckpoints.StatusCode);

        await using var badStream = await SseClient.ConnectAsync(Replicas[0], Tokens.Reader(), "?checkpoints=maybe");
        Assert.AreEqual(HttpStatusCode.BadRequest, badStream.Response.StatusCode);
    }

    /// <summary>SHA-256(previous ‖ epoch, 8 bytes big-endian ‖ SHA-256(the event's JSON as served, without its hash)).</summary>
    private static byte[] Link(byte[] previous, long epoch, byte[] servedWithoutHash)
    {
        var input = new byte[32 + 8 + 32];
        previous.CopyTo(input, 0);
        BinaryPrimitives.WriteInt64BigEndian(input.AsSpan(32), epoch);
        SHA256.HashData(servedWithoutHash).CopyTo(input, 40);
        return SHA256.HashData(input);
    }

    private static byte[] WithoutHash(string served) =>
        Encoding.UTF8.GetBytes(served[..served.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal)] + "}");

    private static bool SignatureHolds(JsonElement checkpoint)
    {
        // Written out here from docs/integrity.md, not taken from the server's code.
        string Field(string name) => checkpoint.GetProperty(name).ToString();
        var payload = checkpoint.TryGetProperty("version", out var version) && version.GetInt32() == 2
            ? string.Join('\n', "kavach-checkpoint/v2", Field("streamId"), Field("epoch"), Field("sequence"), Field("hash"), Field("treeSize"),
                Field("treeRoot"), Field("previousEpoch"), Field("previousSequence"), Field("previousDigest"), Field("signedAt"))
            : string.Join('\n', "kavach-checkpoint/v1", Field("streamId"), Field("epoch"), Field("sequence"), Field("hash"), Field("signedAt"));
        return KavachSystem.CheckpointKey.VerifyData(Encoding.UTF8.GetBytes(payload),
            Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!), HashAlgorithmName.SHA256);
    }

    private static async Task<byte[]> StoredHashAsync(EventsClient client, long sequence)
    {
        var page = await client.GetJsonAsync($"/api/kavach/events?after={sequence - 1}&limit=1");
        return Convert.FromHexString(page.GetProperty("events")[0].GetProperty("hash").GetString()!);
    }

    private static Task<JsonElement> VerifyAsync(EventsClient reader, long from, long to) =>
        reader.GetJsonAsync($"/api/kavach/events/verify?from={from}&to={to}");

    private static async Task<JsonElement> ExpectBreakAsync(EventsClient reader, long from, long to, long sequence, string kind)
    {
        var report = await VerifyAsync(reader, from, to);
        Assert.IsFalse(report.GetProperty("valid").GetBoolean(), report.ToString());
        var broken = report.GetProperty("break");
        Assert.AreEqual(kind, broken.GetProperty("kind").GetString(), report.ToString());
        Assert.AreEqual(sequence, broken.GetProperty("sequence").GetInt64(), report.ToString());
        return broken;
    }

    /// <summary>Runs <paramref name="tamper"/>, checks, then puts every row of the table it touched back as it was.</summary>
    private static async Task TamperedAsync(NpgsqlConnection database, string tamper, Func<Task> check)
    {
        await using (var save = new NpgsqlCommand("CREATE TEMP TABLE saved AS SELECT * FROM kavach_stream_events WHERE sequence >= (SELECT max(sequence) - 200 FROM kavach_stream_events)", database))
        {
            await save.ExecuteNonQueryAsync();
        }

        try
        {
            await using var command = new NpgsqlCommand(tamper, database);
            await command.ExecuteNonQueryAsync();
            await check();
        }
        finally
        {
            const string restore = """
                DELETE FROM kavach_stream_events WHERE sequence IN (SELECT sequence FROM saved);
                INSERT INTO kavach_stream_events SELECT * FROM saved;
                DROP TABLE saved;
                """;
            await using var command = new NpgsqlCommand(restore, database);
            await command.ExecuteNonQueryAsync();
        }
    }

    private sealed record Row(long Sequence, string Body, byte[] Hash);

    private static async Task<List<Row>> RowsAsync(NpgsqlConnection database, long from, long to)
    {
        await using var command = new NpgsqlCommand($"SELECT sequence, body, hash FROM kavach_stream_events WHERE sequence BETWEEN {from} AND {to} ORDER BY sequence", database);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2)));
        }

        return rows;
    }

    private static async Task<Func<long, long>> EpochsAsync(EventsClient reader)
    {
        var listed = await reader.GetJsonAsync("/api/kavach/events/checkpoints?limit=1");
        var epochs = listed.GetProperty("epochs").EnumerateArray()
            .Select(e => (Epoch: e.GetProperty("epoch").GetInt64(), StartsAfter: e.GetProperty("startsAfter").GetInt64())).ToList();
        return sequence => epochs.Where(e => e.StartsAfter < sequence).Max(e => e.Epoch);
    }
}
