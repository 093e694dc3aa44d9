namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// The witness already holds a different checkpoint at this position (or something that is not a checkpoint): two
/// signed statements about one place in the log. Never overwritten; verification reports it.
/// </summary>
public sealed class WitnessContradictionException(SignedCheckpoint appended, SignedCheckpoint? recorded)
    : Exception($"The witness already holds a different checkpoint at {appended.Epoch}:{appended.Sequence}: " +
        (recorded is null ? "something that is not a checkpoint." : $"one signed at {recorded.ToView().SignedAt} with key {recorded.KeyId}, " +
            $"hash {Convert.ToHexStringLower(recorded.Hash)} (this one: signed at {appended.ToView().SignedAt}, hash {Convert.ToHexStringLower(appended.Hash)})."))
{
    public SignedCheckpoint Appended { get; } = appended;

    public SignedCheckpoint? Recorded { get; } = recorded;
}
