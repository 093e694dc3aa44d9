using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Emit;

/// <summary>
/// What became of an emit. Nothing was stored unless it is <see cref="Emitted"/>, except that an
/// <see cref="Unavailable"/> one says whether it may have been; a retry with the same ids is always safe.
/// </summary>
public abstract record EmitOutcome
{
    private EmitOutcome()
    {
    }

    /// <summary>Committed: each event's id, sequence and timestamp (an id the emitter had already stored answers with its first).</summary>
    public sealed record Emitted(IReadOnlyList<EmittedEvent> Events) : EmitOutcome;

    /// <summary>An event names a party the emitter may not speak for, or does what only an admin may.</summary>
    public sealed record Forbidden(IDictionary<string, string[]> Errors) : EmitOutcome;

    /// <summary>The request or a draft is invalid, or too large (<see cref="EmitRejection.TooLarge"/>); the batch is refused whole.</summary>
    public sealed record Rejected(EmitRejection Rejection) : EmitOutcome;

    /// <summary>These ids belong to events another emitter stored.</summary>
    public sealed record Conflict(IReadOnlyList<string> Ids) : EmitOutcome;

    /// <summary>The database or the stream cannot take the emit now; <see cref="MayBeStored"/> says whether it was anyway.</summary>
    public sealed record Unavailable(string Title, string Detail, IReadOnlyList<string> Ids, bool MayBeStored) : EmitOutcome;
}
