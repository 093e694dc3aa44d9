using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Kavach.AttackTests.Harness;
using Kavach.Processes;
using Kavach.StreamApi.Integrity.Witness;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// The checkpoint witness outside PostgreSQL (docs/integrity.md, "The witness"): a record changed in it, a record
/// withheld from it, and a checkpoint deleted from the database while the witness keeps it — each found by
/// <c>/verify</c> and by the command line reading the witness itself. Azurite enforces no immutability, so the first
/// two are played there; on Azure the container's policy refuses them (docs/deploy-azure.md). One database of its own
/// with one replica signing a checkpoint per event: checkpoints #1–#6, each attack on one of them.
/// </summary>
[TestClass]
public sealed class WitnessAttacks
{
    private const int Checkpoints = 6;
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static ApiReplica? s_replica;
    private static string s_streamId = "";
    private static string s_keyFile = "";

    private static AttackCluster Cluster => AttackSuite.Cluster;

    private static BlobContainerClient Witness => new(Cluster.Witness.ConnectionString, "kavach-witness");

    [ClassInitialize]
    public static async Task PrepareAsync(TestContext context)
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "witness_attacks");
        s_replica = await db.StartReplicaAsync("witness", new Dictionary<string, string>
        {
            ["Kavach__Integrity__CheckpointKey"] = Key.ExportPkcs8PrivateKeyPem(),
            ["Kavach__Integrity__CheckpointEvery"] = "1",
            ["Kavach__Integrity__PollInterval"] = "00:00:00.200",
            ["Kavach__Integrity__Witness__GracePeriod"] = "00:00:01",
        });
        s_keyFile = Path.Combine(AttackSettings.WorkRoot, "witness-attacks-public.pem");
        await File.WriteAllTextAsync(s_keyFile, Key.ExportSubjectPublicKeyInfoPem(), context.CancellationToken);

        using var emitter = new Api(s_replica.BaseAddress, Forge.Emitter("witness"));
        using var reader = Reader();
        for (var i = 0; i < Checkpoints; i++)
        {
            var sequence = (await emitter.EmitOkAsync(Api.Event("audit", agentId: $"witnessed-{i}")))[0];
            await Poll.UntilAsync(() => SignedAsync(reader, sequence), signed => signed);
        }

        s_streamId = (await reader.GetAsync($"{Api.Events}/checkpoints")).Json.GetProperty("streamId").GetString()!;
        // What the replica gave the witness; the version before this change gives it nothing, and every attack then fails.
        await Poll.UntilAsync(WitnessedAsync, witnessed => witnessed.Count >= Checkpoints);
    }

    [TestMethod]
    public async Task ARecordChangedInTheWitnessIsAContradiction()
    {
        var tampered = await ChangeRecordAsync(2);

        var (report, commandLine) = await VerifyAsync(2);

        Findings.Record("witness record of checkpoint #2 rewritten with another hash (Azurite allows it; Azure's policy does not)",
            $"{tampered}; {Verdict(report)}; command line: {commandLine.Code}; console {ConsoleAlert.Of(report)}");
        Assert.AreEqual(HttpStatusCode.OK, report.Status, report.ToString());
        Assert.IsFalse(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.AreEqual("alert: witness-contradiction at #2", ConsoleAlert.Of(report));
        Assert.AreEqual(2, Only(report, "contradictions").GetProperty("sequence").GetInt64(), report.ToString());
        Assert.AreEqual(1, commandLine.Code, commandLine.Output);
        StringAssert.Contains(commandLine.Output, "1:2: the witness");
    }

    [TestMethod]
    public async Task ARecordWithheldFromTheWitnessIsReportedMissingFromIt()
    {
        var withheld = RecordOf(4) is { } record && (await record.DeleteIfExistsAsync()).Value
            ? "witness record of #4 deleted" : "no witness record of #4 to delete";

        var (report, commandLine) = await VerifyAsync(4);

        Findings.Record("witness record of checkpoint #4 deleted (Azurite allows it; Azure's policy does not)",
            $"{withheld}; {Verdict(report)}; command line: {commandLine.Code}; console {ConsoleAlert.Of(report)}");
        Assert.AreEqual(HttpStatusCode.OK, report.Status, report.ToString());
        Assert.IsTrue(report.Json.GetProperty("valid").GetBoolean(), "the chain itself is intact: " + report);
        Assert.AreEqual("alert: witness-missing at #4", ConsoleAlert.Of(report));
        Assert.AreEqual(4, Only(report, "missingFromWitness").GetProperty("sequence").GetInt64(), report.ToString());
        Assert.AreEqual(4, commandLine.Code, commandLine.Output);
        StringAssert.Contains(commandLine.Output, "1:4: served");
    }

    [TestMethod]
    public async Task ACheckpointDeletedFromTheDatabaseIsFoundInTheWitness()
    {
        await using (var database = await OpenAsync())
        {
            await using var delete = new Npgsql.NpgsqlCommand("DELETE FROM kavach_checkpoints WHERE sequence = 5", database);
            await delete.ExecuteNonQueryAsync();
        }

        var (report, commandLine) = await VerifyAsync(5);

        Findings.Record("checkpoint #5 deleted from PostgreSQL, kept by the witness", $"{Verdict(report)}; command line: {commandLine.Code}; console {ConsoleAlert.Of(report)}");
        Assert.AreEqual(HttpStatusCode.OK, report.Status, report.ToString());
        Assert.IsFalse(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsTrue(ConsoleAlert.Raised(report), report.ToString());
        Assert.AreEqual(5, Only(report, "missingFromDatabase").GetProperty("sequence").GetInt64(), report.ToString());
        Assert.AreEqual(1, commandLine.Code, commandLine.Output);
        StringAssert.Contains(commandLine.Output, "1:5: witnessed");
    }

    /// <summary>The API's report and the command line's verdict, both over the one sequence the attack is about.</summary>
    private static async Task<(Answer Report, (int Code, string Output) CommandLine)> VerifyAsync(long sequence)
    {
        var at = sequence.ToString(CultureInfo.InvariantCulture);
        using var reader = Reader();
        var report = await reader.GetAsync($"{Api.Events}/verify?from={at}&to={at}");
        var commandLine = await VerifierCli.RunAsync("--api", s_replica!.BaseAddress.ToString(), "--token", Forge.Reader("witness-auditor"),
            "--key", s_keyFile, "--from", at, "--to", at, "--witness-connection-string", Cluster.Witness.ConnectionString, "--witness-grace", "1");
        return (report, commandLine);
    }

    /// <summary>The attacker writes the witness: the record's hash replaced, everything else left as it was.</summary>
    private static async Task<string> ChangeRecordAsync(long sequence)
    {
        if (RecordOf(sequence) is not { } blob || !await blob.ExistsAsync())
        {
            return $"no witness record of #{sequence} to change";
        }

        var record = JsonNode.Parse((await blob.DownloadContentAsync()).Value.Content.ToString())!;
        record["hash"] = new string('e', 64);
        await blob.UploadAsync(BinaryData.FromString(record.ToJsonString()), overwrite: true);
        return $"witness record of #{sequence} rewritten";
    }

    private static BlobClient? RecordOf(long sequence) =>
        Guid.TryParse(s_streamId, out var streamId) ? Witness.GetBlobClient(WitnessRecord.BlobName(streamId, 1, sequence)) : null;

    private static async Task<IReadOnlyList<long>> WitnessedAsync()
    {
        var sequences = new List<long>();
        if (!await Witness.ExistsAsync() || s_streamId.Length == 0)
        {
            return sequences;
        }

        await foreach (var item in Witness.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = s_streamId + "/" }))
        {
            sequences.Add(WitnessRecord.NumberOf(item.Name) ?? 0);
        }

        return sequences;
    }

    private static async Task<bool> SignedAsync(Api reader, long sequence)
    {
        var listed = await reader.GetAsync($"{Api.Events}/checkpoints?after={sequence - 1}&limit=1");
        return listed.Json.GetProperty("checkpoints").EnumerateArray().Any(c => c.GetProperty("sequence").GetInt64() == sequence);
    }

    private static JsonElement Only(Answer report, string list) =>
        report.Json.TryGetProperty("witness", out var witness) ? witness.GetProperty(list).EnumerateArray().Single() : throw new AssertFailedException($"no witness in {report}");

    private static string Verdict(Answer report)
    {
        if (report.Status != HttpStatusCode.OK || !report.Json.TryGetProperty("witness", out var witness))
        {
            return $"{ChainVerdict.Of(report)}, no witness in the report";
        }

        int Count(string list) => witness.GetProperty(list).GetArrayLength();
        return $"chain {ChainVerdict.Of(report)}; report valid:{report.Json.GetProperty("valid").GetBoolean().ToString().ToLowerInvariant()}, witness: " +
            $"{Count("contradictions")} contradicted, {Count("missingFromDatabase")} missing from the database, {Count("missingFromWitness")} missing from the witness";
    }

    private static Api Reader() => new(s_replica!.BaseAddress, Forge.Reader("witness-verifier"));

    private static async Task<Npgsql.NpgsqlConnection> OpenAsync()
    {
        var connection = new Npgsql.NpgsqlConnection(Cluster.Postgres.ConnectionStringFor("witness_attacks") + ";Pooling=false");
        await connection.OpenAsync();
        return connection;
    }
}
