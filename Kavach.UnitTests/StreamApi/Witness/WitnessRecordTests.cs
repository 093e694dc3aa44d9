using Kavach.StreamApi.Integrity.Witness;

namespace Kavach.UnitTests.StreamApi.Witness;

[TestClass]
public sealed class WitnessRecordTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ARecordIsOneLineOfJsonThatGivesTheSameCheckpointBack(bool v2)
    {
        var checkpoint = WitnessCheckpoints.At(2, 4711, v2: v2);

        var record = WitnessRecord.Serialize(checkpoint);

        Assert.IsFalse(record.Contains((byte)'\n'));
        StringAssert.Contains(System.Text.Encoding.UTF8.GetString(record), "\"signedAt\":\"2026-12-07T13:18:31.000000Z\"");
        Assert.IsTrue(WitnessRecord.Same(checkpoint, WitnessRecord.Parse(record)!));
        Assert.AreEqual(v2 ? 2 : 1, WitnessRecord.Parse(record)!.Version);
    }

    [TestMethod]
    public void WhatIsNotACheckpointParsesToNothing()
    {
        Assert.IsNull(WitnessRecord.Parse("not json"u8));
        Assert.IsNull(WitnessRecord.Parse("""{"epoch":1}"""u8));
        Assert.IsNull(WitnessRecord.Parse("""{"streamId":"0f8f3c52-6d0e-4b8e-9b57-3a2f1c4d5e6f","epoch":1,"sequence":2,"hash":"zz","signedAt":"x","keyId":"k","algorithm":"ES256","signature":"AA=="}"""u8));
    }

    [TestMethod]
    public void CheckpointsDifferInAnythingSigned()
    {
        var checkpoint = WitnessCheckpoints.At(1, 100);

        Assert.IsTrue(WitnessRecord.Same(checkpoint, WitnessCheckpoints.At(1, 100)));
        Assert.IsFalse(WitnessRecord.Same(checkpoint, WitnessCheckpoints.At(1, 100, hashByte: 2)), "the hash");
        Assert.IsFalse(WitnessRecord.Same(checkpoint, WitnessCheckpoints.At(1, 100, WitnessCheckpoints.Noon)), "the time");
        Assert.IsFalse(WitnessRecord.Same(checkpoint, checkpoint with { KeyId = "another" }), "the key");
        Assert.IsFalse(WitnessRecord.Same(checkpoint, checkpoint with { Signature = new byte[64] }), "the signature");
        Assert.IsFalse(WitnessRecord.Same(checkpoint, WitnessCheckpoints.At(1, 100, v2: true)), "the links");
    }

    [TestMethod]
    public void BlobNamesSortAsEpochThenSequence()
    {
        (long Epoch, long Sequence)[] positions = [(1, 9), (1, 10), (1, 999_999), (1, 1_000_000), (1, 12_345_678_901), (2, 3), (10, 1)];

        var names = positions.Select(p => WitnessRecord.BlobName(WitnessCheckpoints.StreamId, p.Epoch, p.Sequence)).ToList();

        CollectionAssert.AreEqual(names, names.Order(StringComparer.Ordinal).ToList());
        Assert.AreEqual("0f8f3c52-6d0e-4b8e-9b57-3a2f1c4d5e6f/0000000000000000001/0000000012345/0000000012345678901.json", names[4]);
        Assert.AreEqual(12_345_678_901, WitnessRecord.NumberOf(names[4]));
        Assert.AreEqual(12345, WitnessRecord.NumberOf("0f8f3c52-6d0e-4b8e-9b57-3a2f1c4d5e6f/0000000000000000001/0000000012345/"));
        Assert.IsNull(WitnessRecord.NumberOf("0f8f3c52-6d0e-4b8e-9b57-3a2f1c4d5e6f/notes.txt"));
    }
}
