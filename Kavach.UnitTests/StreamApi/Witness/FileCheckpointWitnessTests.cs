using System.Diagnostics.Metrics;
using Kavach.StreamApi.Integrity.Witness;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Logging.Abstractions;
using static Kavach.UnitTests.StreamApi.Witness.WitnessCheckpoints;

namespace Kavach.UnitTests.StreamApi.Witness;

[TestClass]
public sealed class FileCheckpointWitnessTests
{
    private string _directory = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("kavach-witness-").FullName;

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    private string WitnessFile => Path.Combine(_directory, "nested", "witness.jsonl");

    private FileCheckpointWitness Witness() => new(new WitnessMetrics(new TestMeterFactory()),
        Microsoft.Extensions.Options.Options.Create(new WitnessOptions { Kind = WitnessKind.File, Path = WitnessFile }), TimeProvider.System,
        NullLogger<FileCheckpointWitness>.Instance);

    [TestMethod]
    public async Task EachCheckpointIsOneLineAppendedOnce()
    {
        var witness = Witness();

        await witness.AppendAsync(At(1, 10), TestContext.CancellationToken);
        await witness.AppendAsync(At(1, 20), TestContext.CancellationToken);
        await witness.AppendAsync(At(1, 10), TestContext.CancellationToken);

        var lines = await File.ReadAllLinesAsync(WitnessFile, TestContext.CancellationToken);
        Assert.HasCount(2, lines);
        Assert.IsTrue(WitnessRecord.Same(At(1, 20), WitnessRecord.Parse(System.Text.Encoding.UTF8.GetBytes(lines[1]))!));
    }

    [TestMethod]
    public async Task ADifferentCheckpointAtARecordedPositionIsRefused()
    {
        var witness = Witness();
        await witness.AppendAsync(At(1, 10), TestContext.CancellationToken);

        var refused = await Assert.ThrowsAsync<WitnessContradictionException>(() => witness.AppendAsync(At(1, 10, hashByte: 9), TestContext.CancellationToken));

        StringAssert.Contains(refused.Message, "1:10");
        Assert.HasCount(1, await File.ReadAllLinesAsync(WitnessFile, TestContext.CancellationToken));
    }

    [TestMethod]
    public async Task ReadsGoInEpochAndSequenceOrderAfterAPosition()
    {
        var witness = Witness();
        foreach (var checkpoint in new[] { At(1, 10), At(2, 5), At(1, 30), At(1, 20), At(1, 15, stream: Guid.NewGuid()) })
        {
            await witness.AppendAsync(checkpoint, TestContext.CancellationToken);
        }

        var read = await witness.ReadAsync(StreamId, 1, 10, TestContext.CancellationToken).Select(c => (c.Epoch, c.Sequence)).ToListAsync(TestContext.CancellationToken);

        CollectionAssert.AreEqual(new[] { (1L, 20L), (1L, 30L), (2L, 5L) }, read);
    }

    [TestMethod]
    public async Task ALineChangedInTheFileIsReadAsItStandsAndAHalfWrittenLastLineIsIgnored()
    {
        var witness = Witness();
        await witness.AppendAsync(At(1, 10), TestContext.CancellationToken);
        var changed = System.Text.Encoding.UTF8.GetString(WitnessRecord.Serialize(At(1, 10, hashByte: 4)));
        await File.WriteAllTextAsync(WitnessFile, changed + "\n{\"streamId\":", TestContext.CancellationToken);

        var read = await witness.ReadAsync(StreamId, 0, 0, TestContext.CancellationToken).ToListAsync(TestContext.CancellationToken);

        Assert.IsTrue(WitnessRecord.Same(At(1, 10, hashByte: 4), read.Single()));
    }

    [TestMethod]
    public async Task ReplicasAppendingAtOnceEachGetTheirLinesWhole()
    {
        var witnesses = new[] { Witness(), Witness() };

        await Task.WhenAll(Enumerable.Range(1, 40).Select(i => Task.Run(() => witnesses[i % 2].AppendAsync(At(1, i), TestContext.CancellationToken))));

        var read = await witnesses[0].ReadAsync(StreamId, 0, 0, TestContext.CancellationToken).ToListAsync(TestContext.CancellationToken);
        CollectionAssert.AreEqual(Enumerable.Range(1, 40).Select(i => (long)i).ToArray(), read.Select(c => c.Sequence).ToArray());
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
