using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Integrity;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class ChainTests
{
    private static StoredEvent Event(long sequence, byte[]? hash = null, string? userId = null)
    {
        var timestamp = new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero);
        var body = StoredEvent.BodyOf("id-" + sequence, "audit", timestamp, JsonDocument.Parse("""{"k":"Ōsaka \"q\""}""").RootElement, "agent-1", userId);
        return new StoredEvent(sequence, "id-" + sequence, "audit", "agent-1", userId, timestamp, timestamp, body, hash);
    }

    [TestMethod]
    public void WhatIsHashedIsTheServedJsonWithoutItsHashField()
    {
        var hash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var served = Event(1221, hash, "alice").Json();
        StringAssert.EndsWith(served, $",\"sequence\":1221,\"hash\":\"{Convert.ToHexStringLower(hash)}\"}}");

        var withoutHash = served[..served.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal)] + "}";
        Assert.AreEqual(withoutHash, Encoding.UTF8.GetString(ChainHash.ServedJson(Event(1221, userId: "alice").Body, 1221)));
        Assert.AreEqual(withoutHash, Event(1221, userId: "alice").Json(), "an event without a hash is served exactly as hashed");
    }

    [TestMethod]
    public void ALinkCoversThePreviousHashTheEpochAndTheEvent()
    {
        var served = ChainHash.ServedJson(Event(5).Body, 5);
        var link = ChainHash.Link(ChainHash.Genesis, 1, served);

        var input = new byte[72];
        input[39] = 1; // epoch 1, big-endian
        SHA256.HashData(served).CopyTo(input, 40);
        CollectionAssert.AreEqual(SHA256.HashData(input), link);

        CollectionAssert.AreNotEqual(link, ChainHash.Link(ChainHash.Genesis, 2, served), "the epoch");
        CollectionAssert.AreNotEqual(link, ChainHash.Link(link, 1, served), "the previous hash");
        CollectionAssert.AreNotEqual(link, ChainHash.Link(ChainHash.Genesis, 1, ChainHash.ServedJson(Event(5).Body, 6)), "the sequence");
    }

    [TestMethod]
    public void ACheckpointSignsSixLinesAndVerifiesOnlyWithItsKey()
    {
        using var key = CheckpointKey.Create(null);
        Assert.IsTrue(key.Ephemeral);
        var streamId = Guid.Parse("6fe49f8a-73d5-4d5e-b891-1416224500ee");
        var signedAt = new DateTimeOffset(2026, 12, 2, 7, 40, 12, TimeSpan.Zero).AddTicks(1234560);
        var hash = new byte[32];
        hash[31] = 0xab;

        var payload = SignedCheckpoint.Payload(streamId, 2, 1000, hash, signedAt);
        Assert.AreEqual($"kavach-checkpoint/v1\n6fe49f8a-73d5-4d5e-b891-1416224500ee\n2\n1000\n{new string('0', 62)}ab\n2026-12-02T07:40:12.123456Z",
            Encoding.UTF8.GetString(payload));

        var signature = key.Sign(payload);
        Assert.HasCount(64, signature, "r ‖ s");
        Assert.IsTrue(CheckpointKey.Verify(key.PublicKeyPem, payload, signature));
        payload[^1] ^= 1;
        Assert.IsFalse(CheckpointKey.Verify(key.PublicKeyPem, payload, signature));

        using var other = CheckpointKey.Create(null);
        Assert.IsFalse(CheckpointKey.Verify(other.PublicKeyPem, SignedCheckpoint.Payload(streamId, 2, 1000, hash, signedAt), signature));
        Assert.AreNotEqual(key.KeyId, other.KeyId);
        Assert.AreEqual(32, key.KeyId.Length);
    }

    [TestMethod]
    public void OnlyAP256PrivateKeyIsAcceptedAsTheCheckpointKey()
    {
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.IsNull(CheckpointKey.TryLoad(p256.ExportPkcs8PrivateKeyPem(), out var loaded));
        loaded!.Dispose();
        Assert.IsNull(CheckpointKey.TryLoad(p256.ExportECPrivateKeyPem(), out loaded));
        loaded!.Dispose();
        using (var configured = CheckpointKey.Create(p256.ExportPkcs8PrivateKeyPem()))
        {
            Assert.IsFalse(configured.Ephemeral);
            Assert.AreEqual(CheckpointKey.IdOf(p256.ExportSubjectPublicKeyInfo()), configured.KeyId);
        }

        foreach (var (pem, why) in new[]
                 {
                     (p384.ExportPkcs8PrivateKeyPem(), "P-256"),
                     (p256.ExportSubjectPublicKeyInfoPem(), "P-256 private key"),
                     ("not a key", "P-256 private key"),
                 })
        {
            StringAssert.Contains(CheckpointKey.TryLoad(pem, out _), why);
            var result = new IntegrityKeysValidation().Validate(null, new IntegrityOptions { CheckpointKey = pem });
            Assert.HasCount(1, result.Failures!);
            StringAssert.StartsWith(result.Failures!.Single(), "Kavach:Integrity:CheckpointKey:");
        }
    }

    [TestMethod]
    public void AnEventsEpochIsTheLastWhoseHashingBeganBeforeIt()
    {
        // Epoch 2 starts after 597, but 598–610 were committed before anyone noticed the restore: hashed in epoch 1.
        var epochs = new List<EpochStart> { new(1, 0, 0), new(2, 597, 610), new(3, 900, 900) };
        Assert.AreEqual(1, ChainVerifier.EpochOf(epochs, 1));
        Assert.AreEqual(1, ChainVerifier.EpochOf(epochs, 598));
        Assert.AreEqual(1, ChainVerifier.EpochOf(epochs, 610));
        Assert.AreEqual(2, ChainVerifier.EpochOf(epochs, 611));
        Assert.AreEqual(3, ChainVerifier.EpochOf(epochs, 901));
    }
}
