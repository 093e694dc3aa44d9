using Kavach.StreamApi.Integrity;

namespace Kavach.UnitTests.StreamApi.Witness;

/// <summary>Checkpoints to witness: realistic in shape, signed with bytes that stand for a signature.</summary>
internal static class WitnessCheckpoints
{
    public static readonly Guid StreamId = Guid.Parse("0f8f3c52-6d0e-4b8e-9b57-3a2f1c4d5e6f");

    public static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    public static SignedCheckpoint At(long epoch, long sequence, DateTimeOffset? signedAt = null, byte hashByte = 1, Guid? stream = null, bool v2 = false) =>
        new(stream ?? StreamId, epoch, sequence, Enumerable.Repeat(hashByte, 32).ToArray(), signedAt ?? Noon.AddSeconds(sequence), "0123456789abcdef0123456789abcdef",
            Enumerable.Repeat((byte)(hashByte + 7), 64).ToArray(),
            v2 ? new CheckpointLinks(sequence, Enumerable.Repeat((byte)9, 32).ToArray(), epoch, sequence - 10, Enumerable.Repeat((byte)3, 32).ToArray()) : null);
}
