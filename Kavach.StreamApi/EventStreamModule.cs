using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Streaming;
using Kavach.StreamApi.Streaming.Presence;

namespace Kavach.StreamApi;

/// <summary>
/// The KavachOS event-stream module for code running in the API process: emit, replay, connection count and
/// close. The HTTP endpoints are a thin layer over it.
/// </summary>
public sealed class EventStreamModule(
    EventValidator validator,
    EventStore store,
    EventCommitter committer,
    EventHub hub,
    StreamAdmission admission,
    OpenStreams openStreams,
    IConnectionPresence presence,
    Revocations revocations,
    EventTypeFilter moduleTypes,
    StreamMetrics metrics,
    ILogger<EventStreamModule> logger)
{
    public const int ReplayLimit = 1000;

    private static readonly TimeSpan RecoveryWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Commits the events and only then returns; the answer holds each event's id, sequence and timestamp. An id
    /// already stored by the same emitter is not stored again and answers with its original sequence.
    /// </summary>
    /// <param name="emitter">Who emits (default: the service itself, which may also revoke agents).</param>
    /// <exception cref="EmitRejectedException">The batch is invalid, too large, or names a party the emitter may not speak for; nothing was stored.</exception>
    /// <exception cref="EmitConflictException">An id belongs to another emitter's event; nothing was stored.</exception>
    /// <exception cref="EmitUnavailableException">
    /// The database failed or the stream is recovering; <see cref="EmitUnavailableException.MayBeStored"/> says whether
    /// the events may nevertheless be stored. Retrying with the same ids is always safe.
    /// </exception>
    public async Task<IReadOnlyList<EmittedEvent>> EmitAsync(IReadOnlyList<EventDraft> drafts, Emitter? emitter = null,
        CancellationToken cancellationToken = default)
    {
        emitter ??= Emitter.Service;
        var isBatch = drafts.Count != 1;
        drafts = EmitterRules.Apply(emitter, drafts, isBatch, out var forbidden);
        if (forbidden is not null)
        {
            throw new EmitRejectedException(new EmitRejection(forbidden, Forbidden: true));
        }

        var events = validator.Validate(drafts, isBatch, out var rejection);
        if (rejection is not null)
        {
            throw new EmitRejectedException(rejection);
        }

        return await EmitValidatedAsync(events, emitter, cancellationToken);
    }

    internal async Task<IReadOnlyList<EmittedEvent>> EmitValidatedAsync(IReadOnlyList<NewEvent> events, Emitter emitter, CancellationToken cancellationToken)
    {
        AppendResult result;
        try
        {
            // The committer hands what it committed to fan-out itself, once per group, in sequence order.
            result = await AppendAsync(events, emitter, cancellationToken);
        }
        catch (AmbiguousCommitException unknown)
        {
            throw new EmitUnavailableException("Outcome unknown",
                "The connection to PostgreSQL failed while committing: the events may or may not have been stored. " +
                "Retry with the same event ids: an id already stored is never stored twice.", [.. events.Select(e => e.Id)], mayBeStored: true, unknown);
        }
        catch (CommitNotStoredException notStored)
        {
            throw new EmitUnavailableException("Event store unavailable",
                "The connection to PostgreSQL failed while committing, and the events were not stored. Retry with the same event ids.",
                [.. events.Select(e => e.Id)], mayBeStored: false, notStored);
        }

        if (result.Conflicts.Count > 0)
        {
            throw new EmitConflictException(result.Conflicts);
        }

        metrics.Emitted(result.Committed.Count);
        if (result.Committed.Any(e => e.Type == KavachEventTypes.AgentRevoked) && events.Any(emitter.Revokes))
        {
            await FollowRevocationsAsync(cancellationToken);
        }

        return result.Emitted;
    }

    /// <summary>This replica enforces the revocation it just committed at once, as it does after the revocation API.</summary>
    private async Task FollowRevocationsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await revocations.FollowAsync(cancellationToken);
        }
        catch (Exception e) when (DatabaseFailures.IsFailure(e))
        {
            logger.LogWarning(e, "Reading the revocation just committed failed; the next follow reads it");
        }
    }

    /// <summary>Appends; if the database turns out to be behind what this replica delivered, lets the hub begin a new epoch first.</summary>
    private async Task<AppendResult> AppendAsync(IReadOnlyList<NewEvent> events, Emitter emitter, CancellationToken cancellationToken)
    {
        if (!hub.Ready.IsCompletedSuccessfully)
        {
            try
            {
                await hub.Ready.WaitAsync(RecoveryWait, cancellationToken);
            }
            catch (TimeoutException e)
            {
                throw new EmitUnavailableException("Starting up",
                    "This replica does not know the stream position yet (PostgreSQL may be unreachable). Nothing was stored: " +
                    "retry with the same event ids.", [.. events.Select(e => e.Id)], mayBeStored: false, e);
            }
        }

        try
        {
            return await committer.AppendAsync(events, emitter, hub.Position);
        }
        catch (StreamRegressionException regression)
        {
            logger.LogWarning(regression, "Emit refused until the stream has a new epoch");
            try
            {
                await hub.CheckHeadAsync(cancellationToken).WaitAsync(RecoveryWait, cancellationToken);
                return await committer.AppendAsync(events, emitter, hub.Position);
            }
            catch (Exception e) when (e is StreamRegressionException or TimeoutException)
            {
                throw new EmitUnavailableException("The stream is recovering",
                    "PostgreSQL's event sequence went backwards (a restore or a failover); a new epoch is being started. " +
                    "Nothing was stored: retry with the same event ids.", [.. events.Select(e => e.Id)], mayBeStored: false, e);
            }
        }
    }

    /// <summary>
    /// The seed's replay: up to 1000 events at or after <paramref name="since"/>, newest first, that
    /// <paramref name="scope"/> may read (default: everything the module allows — the service itself reading).
    /// </summary>
    public async Task<IReadOnlyList<StreamEvent>> ReplayAsync(DateTimeOffset since, ReadScope? scope = null, CancellationToken cancellationToken = default) =>
        [.. (await ReplayStoredAsync(since, scope, cancellationToken)).Select(r => r.ToStreamEvent())];

    internal Task<List<StoredEvent>> ReplayStoredAsync(DateTimeOffset since, ReadScope? scope, CancellationToken cancellationToken) =>
        store.ReadAsync(ReplayQuery(since, scope), cancellationToken, fromHistoryPool: true);

    /// <summary>The same replay, an event at a time as it is read (the HTTP answer is written as it goes).</summary>
    internal IAsyncEnumerable<StoredEvent> ReplayEachAsync(DateTimeOffset since, ReadScope scope, CancellationToken cancellationToken) =>
        store.ReadEachAsync(ReplayQuery(since, scope), fromHistoryPool: true, cancellationToken);

    private EventQuery ReplayQuery(DateTimeOffset since, ReadScope? scope) =>
        new(0, ReplayLimit, scope ?? ReadScope.Module(moduleTypes), Since: since, NewestFirst: true);

    /// <summary>The scope of a reader that holds <paramref name="grant"/> (from its token), narrowed by the request's filters.</summary>
    public bool TryScope(ReadGrant grant, string? types, string? agentId, string? userId, out ReadScope scope, out string? error)
    {
        var created = ReadScope.TryCreate(moduleTypes, grant, types, agentId, userId, out scope, out var badRequest, out var forbidden);
        error = forbidden ?? badRequest;
        return created;
    }

    /// <summary>Open streams on this replica.</summary>
    public int ConnectionCount => admission.Open;

    /// <summary>Open streams on every replica.</summary>
    public Task<long> CountAllConnectionsAsync(CancellationToken cancellationToken = default) =>
        presence.CountAllAsync(cancellationToken);

    /// <summary>Ends every stream (clients reconnect, to another replica if there is one) and refuses new ones.</summary>
    public void Close()
    {
        admission.Close();
        openStreams.CloseAll();
    }
}

/// <summary>Ids of the emit that another emitter's events already hold: nothing was stored. Use new ids.</summary>
public sealed class EmitConflictException(IReadOnlyList<string> ids)
    : Exception($"The id(s) {string.Join(", ", ids.Select(id => $"'{id}'"))} belong to events another emitter stored. Nothing was stored: use new ids.")
{
    public IReadOnlyList<string> Ids { get; } = ids;
}

public sealed class EmitRejectedException(EmitRejection rejection)
    : Exception("The events were rejected: " + string.Join("; ", rejection.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")))
{
    public EmitRejection Rejection { get; } = rejection;
}

/// <summary>An emit could not be completed now; retrying with the same <see cref="Ids"/> is safe.</summary>
public sealed class EmitUnavailableException(string title, string detail, IReadOnlyList<string> ids, bool mayBeStored, Exception? inner = null)
    : Exception(detail, inner)
{
    public string Title { get; } = title;

    /// <summary>The ids of the events, including any the server generated: send them again on retry.</summary>
    public IReadOnlyList<string> Ids { get; } = ids;

    public bool MayBeStored { get; } = mayBeStored;
}
