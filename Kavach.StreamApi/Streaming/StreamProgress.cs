using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// How far one stream has got: the epoch it reads, the last sequence it has passed (written, or skipped as not its
/// type), and, when it resumes by time, the window still to read from PostgreSQL. The only state every phase shares.
/// </summary>
public sealed class StreamProgress(long epoch)
{
    public long Epoch { get; set; } = epoch;

    /// <summary>The last sequence passed: the stream goes on after it.</summary>
    public long Sequence { get; set; }

    /// <summary>Resuming by time (<c>since</c>): history from PostgreSQL until a short page closes the window.</summary>
    public DateTimeOffset? Since { get; set; }

    /// <summary>Whether <see cref="Sequence"/> was compared with the oldest event PostgreSQL still keeps.</summary>
    public bool KeptChecked { get; set; }

    /// <summary>The sequence of the last checkpoint announced on this stream.</summary>
    public long CheckpointSent { get; set; }

    public StreamPosition Position => new(Epoch, Sequence);
}
