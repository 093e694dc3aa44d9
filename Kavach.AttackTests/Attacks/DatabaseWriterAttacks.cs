using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Kavach.AttackTests.Harness;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Whoever can write to PostgreSQL, trying to change the record without it showing: rewrite an event and re-hash
/// everything after it with the database's own <c>kavach_chain()</c>, delete the checkpoints that contradict it and wait
/// for the service to sign the forgery; delete old events behind a hand-written retention anchor; null the hashes of a
/// prefix; add a key of their own and sign with it. Each on a database of its own, with two replicas that share a
/// configured checkpoint key, checked by <c>/verify</c> (which the console's chain alert follows) and by the command
/// line with the auditor's pinned key.
/// </summary>
[TestClass]
public sealed class DatabaseWriterAttacks
{
    private static readonly ECDsa SigningKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static AttackCluster Cluster => AttackSuite.Cluster;

    private static IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Kavach__Integrity__CheckpointKey"] = SigningKey.ExportPkcs8PrivateKeyPem(),
        ["Kavach__Integrity__CheckpointInterval"] = "00:00:01",
        ["Kavach__Integrity__PollInterval"] = "00:00:00.250",
        ["Kavach__Integrity__MaxCheckpointGap"] = "00:00:05",
    };

    /// <summary>A stream of its own with 30 events, all signed; the auditor's saved copy of the newest checkpoint.</summary>
    private static async Task<(OwnDatabase Db, Kavach.Processes.ApiReplica Replica, JsonElement Saved)> SignedStreamAsync(string name)
    {
        var db = await OwnDatabase.CreateAsync(Cluster, name);
        var replica = await db.StartReplicaAsync($"{name}-a", Settings);
        await db.StartReplicaAsync($"{name}-b", Settings);
        using var emitter = new Api(replica.BaseAddress, Forge.Emitter($"{name}-emitter"));
        for (var i = 0; i < 3; i++)
        {
            await emitter.EmitOkAsync([.. Enumerable.Range(0, 10).Select(j => Api.Event("audit", agentId: $"{name}-{i}-{j}"))]);
        }

        var saved = await Poll.UntilAsync(() => NewestCheckpointAsync(replica), c => c?.GetProperty("sequence").GetInt64() == 30);
        Assert.IsNotNull(saved, "no checkpoint covered the 30 events");
        return (db, replica, saved.Value);
    }

    private static async Task<JsonElement?> NewestCheckpointAsync(Kavach.Processes.ApiReplica replica)
    {
        using var api = new Api(replica.BaseAddress, Forge.Reader($"auditor-{Guid.NewGuid():N}"));
        var list = await api.GetAsync($"{Api.Events}/checkpoints?after=0&limit=1000");
        return list.Status == HttpStatusCode.OK && list.Json.GetProperty("checkpoints").GetArrayLength() > 0
            ? list.Json.GetProperty("checkpoints").EnumerateArray().Last().Clone()
            : null;
    }

    private static async Task<Answer> VerifyAsync(Kavach.Processes.ApiReplica replica)
    {
        using var api = new Api(replica.BaseAddress, Forge.Reader($"verifier-{Guid.NewGuid():N}"));
        return await api.GetAsync($"{Api.Events}/verify");
    }

    private static string Signer(Answer report) =>
        report.Status == HttpStatusCode.OK && report.Json.TryGetProperty("signer", out var signer) && signer.ValueKind == JsonValueKind.Object
            ? signer.GetProperty("state").GetString()!
            : "—";

    /// <summary>What a database writer runs: recompute every hash from <paramref name="from"/> on, as the commit would.</summary>
    private const string Rehash = """
        DO $$
        DECLARE r record; previous bytea; current_epoch bigint;
        BEGIN
            SELECT epoch INTO current_epoch FROM kavach_stream_sequence;
            SELECT hash INTO previous FROM kavach_stream_events WHERE sequence = {0} - 1;
            FOR r IN SELECT sequence, body FROM kavach_stream_events WHERE sequence >= {0} ORDER BY sequence LOOP
                previous := (kavach_chain(previous, r.sequence - 1, current_epoch, ARRAY[r.body]))[1];
                UPDATE kavach_stream_events SET hash = previous WHERE sequence = r.sequence;
            END LOOP;
            UPDATE kavach_stream_sequence SET chain_hashes = ARRAY[previous];
        END $$;
        """;

    [TestMethod]
    public async Task ARewrittenAndReHashedEventIsNeverSignedAndShows()
    {
        var (db, replica, saved) = await SignedStreamAsync("writer_rehash");
        await db.ExecuteAsync($"""
            UPDATE kavach_stream_events SET body = replace(body, 'writer_rehash-1-4', 'writer_rehash-1-X'), agent_id = 'writer_rehash-1-X' WHERE sequence = 15;
            {string.Format(System.Globalization.CultureInfo.InvariantCulture, Rehash, 15)}
            DELETE FROM kavach_checkpoints WHERE sequence >= 15;
            """);

        // The service would have signed the forged head within a few polls.
        var signedAfter = await Poll.UntilAsync(() => db.ScalarAsync<long>("SELECT count(*) FROM kavach_checkpoints WHERE sequence >= 15"),
            count => count > 0, TimeSpan.FromSeconds(4));
        var report = await VerifyAsync(replica);
        var (code, output) = await VerifierCli.RunAsync(replica.BaseAddress, SigningKey, saved.GetRawText());
        Findings.Record("database writer rewrites #15, re-hashes the chain, deletes checkpoints from #15 on, waits",
            $"checkpoints signed over the forgery: {signedAfter}; /verify {ChainVerdict.Of(report)}, signer {Signer(report)}; command line from the saved checkpoint: exit {code}; console {ConsoleAlert.Of(report)}");

        Assert.AreEqual(0L, signedAfter, "a replica signed the rewritten chain");
        Assert.AreEqual("refusing", Signer(report), report.ToString());
        Assert.IsFalse(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsTrue(ConsoleAlert.Raised(report), "the console raises its chain alert: " + report);
        Assert.AreEqual(1, code, output);
    }

    [TestMethod]
    public async Task APrefixDeletedBehindAForgedAnchorIsReported()
    {
        var (db, replica, _) = await SignedStreamAsync("writer_prefix");
        var first = (await NewestCheckpointsAsync(replica)).First();
        var at = first.GetProperty("sequence").GetInt64();
        await db.ExecuteAsync($"""
            INSERT INTO kavach_chain_anchor (singleton, sequence, hash, bound_to) SELECT true, sequence, hash, sequence FROM kavach_stream_events WHERE sequence = {at}
                ON CONFLICT (singleton) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash, bound_to = excluded.bound_to;
            DELETE FROM kavach_stream_events WHERE sequence <= {at};
            """);

        var report = await VerifyAsync(replica);
        var (code, output) = await VerifierCli.RunAsync(replica.BaseAddress, SigningKey, first.GetRawText());
        Findings.Record($"database writer deletes events 1–{at} (minutes old, retention 7 days) and writes the anchor by hand",
            $"/verify {ChainVerdict.Of(report)}; command line from a checkpoint saved before: exit {code}; console {ConsoleAlert.Of(report)}");
        Assert.IsFalse(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsTrue(ConsoleAlert.Raised(report), "the console raises its chain alert: " + report);
        Assert.AreEqual(1, code, output);
    }

    [TestMethod]
    public async Task ANullHashPrefixDoesNotFoolTheCommandLine()
    {
        var (db, replica, _) = await SignedStreamAsync("writer_nulls");
        await db.ExecuteAsync("UPDATE kavach_stream_events SET hash = NULL WHERE sequence <= 20");
        var (code, output) = await VerifierCli.RunAsync(replica.BaseAddress, SigningKey);
        var report = await VerifyAsync(replica);
        Findings.Record("database writer nulls the hashes of events 1–20", $"command line with the pinned key: exit {code}; /verify {ChainVerdict.Of(report)}; console {ConsoleAlert.Of(report)}");
        Assert.AreEqual(1, code, output);
        Assert.IsFalse(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsTrue(ConsoleAlert.Raised(report), "the console raises its chain alert: " + report);
    }

    [TestMethod]
    public async Task AKeyAddedToTheKeyTableSignsNothingTrusted()
    {
        var (db, replica, saved) = await SignedStreamAsync("writer_key");
        using var injected = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = injected.ExportSubjectPublicKeyInfo();
        var keyId = Convert.ToHexStringLower(SHA256.HashData(spki).AsSpan(0, 16));
        await db.ExecuteAsync($"""
            UPDATE kavach_stream_events SET body = replace(body, 'writer_key-2-9', 'writer_key-2-X') WHERE sequence = 30;
            {string.Format(System.Globalization.CultureInfo.InvariantCulture, Rehash, 30)}
            DELETE FROM kavach_checkpoints WHERE sequence >= 30;
            INSERT INTO kavach_checkpoint_keys (key_id, algorithm, public_key) VALUES ('{keyId}', 'ES256', '{PemEncoding.WriteString("PUBLIC KEY", spki)}');
            """);

        // A version 1 checkpoint over the forged head, signed with the injected key, as the writer would add it.
        var head = await db.ScalarAsync<long>("SELECT last_value FROM kavach_stream_sequence");
        var hash = await db.ScalarAsync<byte[]>("SELECT hash FROM kavach_stream_events WHERE sequence = $1", head);
        var streamId = await db.ScalarAsync<Guid>("SELECT stream_id FROM kavach_stream_sequence");
        var signedAt = DateTimeOffset.UtcNow;
        var at = signedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var payload = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', "kavach-checkpoint/v1", streamId.ToString("D"), "1",
            head.ToString(System.Globalization.CultureInfo.InvariantCulture), Convert.ToHexStringLower(hash), at));
        await db.ExecuteAsync("INSERT INTO kavach_checkpoints (epoch, sequence, hash, signed_at, key_id, signature) VALUES (1, $1, $2, $3, $4, $5)",
            head, hash, DateTime.Parse(at, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime(), keyId,
            injected.SignData(payload, HashAlgorithmName.SHA256));

        var report = await VerifyAsync(replica);
        var (code, output) = await VerifierCli.RunAsync(replica.BaseAddress, SigningKey, saved.GetRawText());
        Findings.Record("database writer rewrites #30, adds a key of its own to the key table and signs the forged head with it",
            $"/verify {ChainVerdict.Of(report)}, signer {Signer(report)}; command line with the pinned key: exit {code}; console {ConsoleAlert.Of(report)}");
        Assert.IsFalse(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsTrue(ConsoleAlert.Raised(report), "the console raises its chain alert: " + report);
        Assert.AreEqual(1, code, output);
    }

    private static async Task<List<JsonElement>> NewestCheckpointsAsync(Kavach.Processes.ApiReplica replica)
    {
        using var api = new Api(replica.BaseAddress, Forge.Reader($"auditor-{Guid.NewGuid():N}"));
        var list = await api.GetAsync($"{Api.Events}/checkpoints?after=0&limit=1000");
        return [.. list.Json.GetProperty("checkpoints").EnumerateArray().Select(c => c.Clone())];
    }
}
