using System.Diagnostics.Metrics;
using System.Text.Json;
using Azure.Storage.Blobs;
using Kavach.StreamApi.Integrity;
using Kavach.StreamApi.Integrity.Witness;
using Kavach.StreamApi.Options;
using Kavach.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// The checkpoint witness the AppHost runs (Azurite): the replicas record every checkpoint there, verification
/// compares, and the Blob witness itself records once, refuses a contradiction and seeks across folders and epochs.
/// </summary>
[TestClass]
public sealed class WitnessTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    private static IReadOnlyList<Uri> Replicas => KavachSystem.StreamApiReplicas;

    [TestMethod]
    public async Task EveryCheckpointTheReplicasSignIsRecordedInTheWitnessAsServed()
    {
        using var emitter = new EventsClient(Replicas[0], Tokens.EmitterAndReader());
        var sequence = (await emitter.EmitAsync(EventsClient.Event("audit", "witnessed")))[0].Sequence;
        using var reader = new EventsClient(Replicas[1], Tokens.Reader());

        var (streamId, served) = await CheckpointAtOrAfterAsync(reader, sequence);
        var container = await ContainerAsync();
        var blob = container.GetBlobClient(WitnessRecord.BlobName(streamId, served.GetProperty("epoch").GetInt64(), served.GetProperty("sequence").GetInt64()));
        var deadline = DateTime.UtcNow + Generous;
        while (!await blob.ExistsAsync(TestContext.CancellationToken) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, TestContext.CancellationToken);
        }

        using var recorded = JsonDocument.Parse((await blob.DownloadContentAsync(TestContext.CancellationToken)).Value.Content.ToString());
        foreach (var field in new[] { "epoch", "sequence", "hash", "signedAt", "keyId", "signature" })
        {
            Assert.AreEqual(Value(served.GetProperty(field)), Value(recorded.RootElement.GetProperty(field)), field);
        }

        var report = await reader.GetJsonAsync($"/api/kavach/events/verify?from={sequence}");
        var witness = report.GetProperty("witness");
        Assert.IsTrue(witness.GetProperty("configured").GetBoolean(), report.ToString());
        Assert.IsGreaterThanOrEqualTo(1L, witness.GetProperty("checked").GetInt64(), report.ToString());
        Assert.AreEqual(0, witness.GetProperty("contradictions").GetArrayLength(), report.ToString());
        Assert.AreEqual(0, witness.GetProperty("missingFromDatabase").GetArrayLength(), report.ToString());
    }

    [TestMethod]
    public async Task TheBlobWitnessRecordsOnceAndRefusesAnotherCheckpointAtThePlace()
    {
        var witness = await BlobWitnessAsync();
        var stream = Guid.NewGuid();
        var first = Checkpoint(stream, 1, 10);

        await witness.AppendAsync(first, TestContext.CancellationToken);
        await witness.AppendAsync(first, TestContext.CancellationToken);
        var refused = await Assert.ThrowsAsync<WitnessContradictionException>(
            () => witness.AppendAsync(Checkpoint(stream, 1, 10, hashByte: 7), TestContext.CancellationToken));

        Assert.IsTrue(WitnessRecord.Same(first, refused.Recorded!));
        var read = await witness.ReadAsync(stream, 0, 0, TestContext.CancellationToken).ToListAsync(TestContext.CancellationToken);
        Assert.IsTrue(WitnessRecord.Same(first, read.Single()));
    }

    [TestMethod]
    public async Task TheBlobWitnessReadsFromAPlaceAcrossFoldersAndEpochs()
    {
        var witness = await BlobWitnessAsync();
        var stream = Guid.NewGuid();
        (long Epoch, long Sequence)[] places = [(1, 5), (1, 999_999), (1, 1_000_005), (1, 3_000_000), (2, 4), (3, 2_000_001)];
        foreach (var (epoch, sequence) in places.Reverse())
        {
            await witness.AppendAsync(Checkpoint(stream, epoch, sequence), TestContext.CancellationToken);
        }

        async Task<List<(long, long)>> AfterAsync(long epoch, long sequence) =>
            await witness.ReadAsync(stream, epoch, sequence, TestContext.CancellationToken).Select(c => (c.Epoch, c.Sequence)).ToListAsync(TestContext.CancellationToken);

        CollectionAssert.AreEqual(places.ToList(), await AfterAsync(0, 0));
        CollectionAssert.AreEqual(places[2..].ToList(), await AfterAsync(1, 999_999));
        CollectionAssert.AreEqual(places[4..].ToList(), await AfterAsync(1, long.MaxValue));
        CollectionAssert.AreEqual(places[5..].ToList(), await AfterAsync(2, 4));
    }

    [TestMethod]
    public async Task ARecordWrittenOverIsReadAsItNowStands()
    {
        var witness = await BlobWitnessAsync();
        var stream = Guid.NewGuid();
        await witness.AppendAsync(Checkpoint(stream, 1, 10), TestContext.CancellationToken);
        var blob = (await ContainerAsync()).GetBlobClient(WitnessRecord.BlobName(stream, 1, 10));

        await blob.UploadAsync(BinaryData.FromString("not a checkpoint"), overwrite: true, TestContext.CancellationToken);

        var read = await witness.ReadAsync(stream, 0, 0, TestContext.CancellationToken).SingleAsync(TestContext.CancellationToken);
        Assert.IsFalse(WitnessRecord.Same(Checkpoint(stream, 1, 10), read), "whatever stands there contradicts the checkpoint");
        Assert.AreEqual((1L, 10L), (read.Epoch, read.Sequence));
    }

    private static SignedCheckpoint Checkpoint(Guid stream, long epoch, long sequence, byte hashByte = 1) =>
        new(stream, epoch, sequence, Enumerable.Repeat(hashByte, 32).ToArray(), new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero),
            "0123456789abcdef0123456789abcdef", new byte[64]);

    private static async Task<(Guid StreamId, JsonElement Checkpoint)> CheckpointAtOrAfterAsync(EventsClient reader, long sequence)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (true)
        {
            var listed = await reader.GetJsonAsync($"/api/kavach/events/checkpoints?after={sequence - 1}&limit=1");
            if (listed.GetProperty("checkpoints").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } checkpoint)
            {
                return (listed.GetProperty("streamId").GetGuid(), checkpoint.Clone());
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No checkpoint at or after {sequence} was signed.");
            }

            await Task.Delay(250);
        }
    }

    private static async Task<BlobContainerClient> ContainerAsync() =>
        new(await KavachSystem.WitnessConnectionStringAsync(), new WitnessOptions().Container);

    private static async Task<BlobCheckpointWitness> BlobWitnessAsync() =>
        new(await ContainerAsync(), new WitnessMetrics(new MeterFactory()), Microsoft.Extensions.Options.Options.Create(new WitnessOptions()),
            TimeProvider.System, NullLogger<BlobCheckpointWitness>.Instance);

    private sealed class MeterFactory : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }

    /// <summary>A value as a verifier compares it: strings unescaped (writers differ on escaping '+'), numbers as written.</summary>
    private static string? Value(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
}
