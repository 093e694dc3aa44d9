using System.Text.Json.Serialization;

namespace Kavach.Contracts;

/// <summary>
/// A named frame about the stream rather than an event. A signal this version does not know arrives as
/// <see cref="UnknownSignal"/>, so a server that adds one (a <c>checkpoint</c>, say) does not break older readers.
/// </summary>
public abstract record StreamSignal : StreamItem;

/// <summary><c>connected</c>: the stream is open; sent first on every connection.</summary>
public sealed record Connected(string? ClientId, string? SubscriberId, long? Epoch, DateTimeOffset? Timestamp) : StreamSignal;

/// <summary>
/// <c>resync</c>: the cursor could not be honoured exactly (see <see cref="ResyncReasons"/>). A reader that keeps
/// derived state rebuilds it. For <c>epoch-changed</c> the stream continues with every event after
/// <see cref="ResumeAfter"/> in <see cref="Epoch"/>; otherwise from <see cref="OldestSequence"/>.
/// </summary>
public sealed record Resync(string? Reason, long? OldestSequence, long? Epoch = null, long? ResumeAfter = null) : StreamSignal;

/// <summary><c>error</c>: why the server ends (or refuses) the stream; <see cref="Code"/> is one of <see cref="StreamErrorCodes"/>.</summary>
public sealed record StreamError(string? Code, string? Message) : StreamSignal
{
    /// <summary>On a refusal at connect, when there is one: what is wrong with the token.</summary>
    public string? Detail { get; init; }
}

/// <summary>
/// <c>checkpoint</c> (asked for with <c>checkpoints=true</c>): the service's signature over the hash chain at
/// <see cref="Sequence"/>, sent once the stream has delivered every event it covers. Verify <see cref="Signature"/>
/// (ES256, r ‖ s, base64) over the payload docs/integrity.md describes with the service's public key. The same shape
/// is what <c>/checkpoints</c>, <c>/verify</c> and the witness hold. <see cref="SignedAt"/> is written exactly as it is
/// signed; the version 2 fields (the Merkle tree head and the previous checkpoint) are null on version 1.
/// </summary>
public sealed record Checkpoint(Guid StreamId, long Epoch, long Sequence, string Hash, string SignedAt, string KeyId,
    string Algorithm, string Signature) : StreamSignal
{
    /// <summary>1, or 2 when the checkpoint also signs the tree head and its predecessor.</summary>
    public int Version { get; init; } = 1;

    /// <summary>v2: the number of events the signed Merkle tree covers.</summary>
    public long? TreeSize { get; init; }

    /// <summary>v2: the Merkle tree's root (hex).</summary>
    public string? TreeRoot { get; init; }

    /// <summary>v2: the previous checkpoint's epoch (0 for a stream's first).</summary>
    public long? PreviousEpoch { get; init; }

    /// <summary>v2: the previous checkpoint's sequence (0 for a stream's first).</summary>
    public long? PreviousSequence { get; init; }

    /// <summary>v2: SHA-256 of the previous checkpoint's payload (hex; 64 zeros for a stream's first).</summary>
    public string? PreviousDigest { get; init; }
}

/// <summary>A named frame without an <c>id:</c> that this version does not know: its name and raw JSON.</summary>
public sealed record UnknownSignal(string Name, [property: JsonIgnore] string Json) : StreamSignal;
