using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Streaming;
using Kavach.StreamApi.Streaming.Presence;

namespace Kavach.StreamApi.Module;

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
    /// The one door into emit, for HTTP and in-process callers alike: the emitter's rules, validation, the group commit,
    /// and what became of it. Answers only after the events are committed (or it is known they were not).
    /// </summary>
    /// <param name="emitter">Who emits (default: the service itself, which may also revoke agents).</param>
    /// <param name="isBatch">Whether the caller sent a batch (an array), which names fields by index; default: more than one draft.</param>
    /// <param name="requestErrors">What was already wrong with the request's shape: reported with the drafts' own errors, and nothing is stored.</param>
    public async Task<EmitOutcome> EmitAsync(IReadOnlyList<EventDraft> drafts, Emitter? emitter = null, bool? isBatch = null,
        IReadOnlyDictionary<string, string[]>? requestErrors = null, CancellationToken cancellationToken = default)
    {
        emitter ??= Emitter.Service;
        var batch = isBatch ?? drafts.Count != 1;
        drafts = EmitterRules.Apply(emitter, drafts, batch, out var forbidden);
        if (forbidden is not null)
        {
            return new EmitOutcome.Forbidden(forbidden);
        }

        var events = validator.Validate(drafts, batch, out var rejection);
        if (rejection is { TooLarge: true })
        {
            return new EmitOutcome.Rejected(rejection);
        }

        if (rejection is not null || requestErrors is { Count: > 0 })
        {
            var errors = new Dictionary<string, string[]>(requestErrors ?? new Dictionary<string, string[]>());
            foreach (var (field, messages) in rejection?.Errors ?? new Dictionary<string, string[]>())
            {
                errors.TryAdd(field, messages);
            }

            return new EmitOutcome.Rejected(new EmitRejection(errors));
        }

        return (await CommitAsync(events, emitter, null, cancellationToken)).Outcome;
    }

    /// <summary>
    /// A revocation and the event that records it (<paramref name="record"/>), committed in one transaction through the
    /// same door as every emit: both are stored, or neither. This replica enforces the revocation before answering.
    /// <see cref="RevocationCommit.Revocation"/> is null when the outcome is not <see cref="EmitOutcome.Emitted"/>, and
    /// also when the commit's answer was lost and the event was found stored afterwards (the revocation is, too).
    /// </summary>
    public async Task<RevocationCommit> RevokeAsync(EventDraft record, Emitter emitter, RevocationOrder order,
        CancellationToken cancellationToken = default)
    {
        var events = validator.Validate([record], isBatch: false, out var rejection);
        if (rejection is not null)
        {
            return new RevocationCommit(new EmitOutcome.Rejected(rejection), null);
        }

        var (outcome, revoked) = await CommitAsync(events, emitter, order, cancellationToken);
        return new RevocationCommit(outcome, revoked?.SingleOrDefault());
    }

    private async Task<(EmitOutcome Outcome, IReadOnlyList<Revocation>? Revoked)> CommitAsync(IReadOnlyList<ValidatedEvent> events,
        Emitter emitter, RevocationOrder? revokes, CancellationToken cancellationToken)
    {
        var ids = events.Select(e => e.Id).ToList();
        AppendResult result;
        try
        {
            // The committer hands what it committed to fan-out itself, once per group, in sequence order.
            result = await AppendAsync(events, emitter, revokes, cancellationToken);
        }
        catch (AmbiguousCommitException unknown)
        {
            logger.LogWarning(unknown, "An emit's commit failed in flight and its outcome could not be checked");
            return (new EmitOutcome.Unavailable("Outcome unknown",
                "The connection to PostgreSQL failed while committing: the events may or may not have been stored. " +
                "Retry with the same event ids: an id already stored is never stored twice.", ids, MayBeStored: true), null);
        }
        catch (CommitNotStoredException notStored)
        {
            logger.LogWarning(notStored, "An emit's commit failed in flight; its events were not stored");
            return (new EmitOutcome.Unavailable("Event store unavailable",
                "The connection to PostgreSQL failed while committing, and the events were not stored. Retry with the same event ids.",
                ids, MayBeStored: false), null);
        }
        catch (RecoveringException recovering)
        {
            return (new EmitOutcome.Unavailable(recovering.Title, recovering.Message, ids, MayBeStored: false), null);
        }
        catch (Exception e) when (DatabaseFailures.IsUnavailable(e))
        {
            logger.LogWarning(e, "An emit could not be committed: PostgreSQL is unavailable");
            return (new EmitOutcome.Unavailable("Event store unavailable",
                "PostgreSQL could not be reached. Nothing was stored: retry with the same event ids.", ids, MayBeStored: false), null);
        }

        if (result.Conflicts.Count > 0)
        {
            return (new EmitOutcome.Conflict(result.Conflicts), null);
        }

        metrics.Emitted(result.Committed.Count);
        if (result.Committed.Count > 0 && (revokes is not null || (result.Committed.Any(e => e.Type == KavachEventTypes.AgentRevoked) && events.Any(emitter.Revokes))))
        {
            await FollowRevocationsAsync(cancellationToken);
        }

        return (new EmitOutcome.Emitted(result.Emitted), result.Revoked);
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
    private async Task<AppendResult> AppendAsync(IReadOnlyList<ValidatedEvent> events, Emitter emitter, RevocationOrder? revokes,
        CancellationToken cancellationToken)
    {
        if (!hub.Ready.IsCompletedSuccessfully)
        {
            try
            {
                await hub.Ready.WaitAsync(RecoveryWait, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new RecoveringException("Starting up",
                    "This replica does not know the stream position yet (PostgreSQL may be unreachable). Nothing was stored: " +
                    "retry with the same event ids.");
            }
        }

        try
        {
            return await committer.AppendAsync(events, emitter, hub.Position, revokes);
        }
        catch (StreamRegressionException regression)
        {
            logger.LogWarning(regression, "Emit refused until the stream has a new epoch");
            try
            {
                await hub.CheckHeadAsync(cancellationToken).WaitAsync(RecoveryWait, cancellationToken);
                return await committer.AppendAsync(events, emitter, hub.Position, revokes);
            }
            catch (Exception e) when (e is StreamRegressionException or TimeoutException)
            {
                throw new RecoveringException("The stream is recovering",
                    "PostgreSQL's event sequence went backwards (a restore or a failover); a new epoch is being started. " +
                    "Nothing was stored: retry with the same event ids.");
            }
        }
    }

    /// <summary>The replica cannot take emits yet (starting, or beginning a new epoch); nothing was stored.</summary>
    private sealed class RecoveringException(string title, string detail) : Exception(detail)
    {
        public string Title { get; } = title;
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
