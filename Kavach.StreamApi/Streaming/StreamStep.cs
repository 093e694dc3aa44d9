namespace Kavach.StreamApi.Streaming;

/// <summary>The outcome of one step of a phase: stay, move on a trigger, or end for a reason.</summary>
public readonly record struct StreamStep(StreamTrigger? Trigger, StreamEnd End = StreamEnd.ClientGone)
{
    public static readonly StreamStep Stay = new(null);

    public static StreamStep Move(StreamTrigger trigger) => new(trigger);

    public static StreamStep EndWith(StreamEnd end) => new(StreamTrigger.Ending, end);
}
