using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Ssf;

/// <summary>What one page of the log after a poll stream's cursor means for it.</summary>
/// <param name="Cursor">The new cursor: the end of the prefix that is acknowledged, or not for this stream, or gone.</param>
/// <param name="Unacknowledged">Events for the stream not acknowledged yet, oldest first, at most the number asked for.</param>
/// <param name="More">Whether another such event follows those.</param>
public sealed record SsfPollWindow(long Cursor, IReadOnlyList<StoredEvent> Unacknowledged, bool More)
{
    /// <summary>
    /// Decides over <paramref name="events"/> (the log after <paramref name="cursor"/>, in order): the cursor moves over
    /// the contiguous prefix of events acknowledged or not carried (and over sequences no longer kept); past it, the
    /// first <paramref name="max"/> carried events not acknowledged are returned. Acknowledgements may come in any
    /// order: one beyond an unacknowledged event waits (in <c>kavach_ssf_acks</c>) until the cursor reaches it.
    /// </summary>
    public static SsfPollWindow Decide(long cursor, IReadOnlyList<StoredEvent> events, Func<StoredEvent, bool> carries,
        IReadOnlySet<long> acknowledged, int max)
    {
        var next = cursor;
        var prefix = true;
        var found = new List<StoredEvent>();
        var more = false;
        foreach (var stored in events)
        {
            if (stored.Sequence <= cursor)
            {
                continue;
            }

            var pending = carries(stored) && !acknowledged.Contains(stored.Sequence);
            if (!pending)
            {
                if (prefix)
                {
                    next = stored.Sequence;
                }

                continue;
            }

            prefix = false;
            if (found.Count == max)
            {
                more = true;
                break;
            }

            found.Add(stored);
        }

        return new SsfPollWindow(next, found, more);
    }
}
