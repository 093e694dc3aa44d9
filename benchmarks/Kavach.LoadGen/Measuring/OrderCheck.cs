namespace Kavach.LoadGen.Measuring;

/// <summary>
/// One subscriber's promise, checked as events arrive: after its starting point it receives every sequence exactly
/// once and in order. A sequence beyond the next is a gap (missing until it arrives, out of order if it then does);
/// a sequence already received is a duplicate. A new epoch (a resync) restarts the count from its first event.
/// </summary>
public sealed class OrderCheck(long after)
{
    private List<(long From, long To)>? _gaps;

    /// <summary>The last sequence received in order (the starting point until then; -1 when not known).</summary>
    public long Last { get; private set; } = after;

    public long Epoch { get; private set; } = 1;

    public long Events { get; private set; }

    public long Missing { get; private set; }

    public long Duplicates { get; private set; }

    public long OutOfOrder { get; private set; }

    public long EpochChanges { get; private set; }

    public void See(long epoch, long sequence)
    {
        Events++;
        if (epoch != Epoch)
        {
            EpochChanges++;
            Epoch = epoch;
            Last = sequence;
            _gaps = null;
            return;
        }

        if (Last < 0 || sequence == Last + 1)
        {
            Last = sequence;
            return;
        }

        if (sequence > Last)
        {
            (_gaps ??= []).Add((Last + 1, sequence - 1));
            Missing += sequence - Last - 1;
            Last = sequence;
            return;
        }

        for (var i = 0; _gaps is not null && i < _gaps.Count; i++)
        {
            var (from, to) = _gaps[i];
            if (sequence >= from && sequence <= to)
            {
                _gaps.RemoveAt(i);
                if (sequence > from)
                {
                    _gaps.Add((from, sequence - 1));
                }

                if (sequence < to)
                {
                    _gaps.Add((sequence + 1, to));
                }

                Missing--;
                OutOfOrder++;
                return;
            }
        }

        Duplicates++;
    }

    /// <summary>At the end: everything up to <paramref name="until"/> not received is missing.</summary>
    public long MissingAt(long until) => Missing + (Last >= 0 && until > Last ? until - Last : 0);
}
