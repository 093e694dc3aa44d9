namespace Kavach.StreamApi.Streaming;

/// <summary>
/// The newest signed checkpoint as streams announce it (<c>?checkpoints=true</c>): once a stream has sent everything up
/// to <see cref="Sequence"/> of <see cref="Epoch"/>, it writes <see cref="Frame"/>, so a reader can check its chain there.
/// </summary>
public sealed record CheckpointAnnouncement(long Epoch, long Sequence, byte[] Frame);
