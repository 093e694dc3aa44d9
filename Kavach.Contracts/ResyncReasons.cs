namespace Kavach.Contracts;

/// <summary>The <c>reason</c> of a <c>resync</c> frame (docs/api.md, "resync").</summary>
public static class ResyncReasons
{
    /// <summary>Retention removed events after the cursor: the stream replays from <c>oldestSequence</c>.</summary>
    public const string CursorExpired = "cursor-expired";

    /// <summary>The cursor is beyond the last committed sequence: the stream replays from <c>oldestSequence</c>.</summary>
    public const string CursorAheadOfStream = "cursor-ahead-of-stream";

    /// <summary>The database went back to an earlier state: a new epoch continues after <c>resumeAfter</c>.</summary>
    public const string EpochChanged = "epoch-changed";
}
