using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Streaming;

namespace Kavach.StreamApi;

/// <summary>
/// The KavachOS event-stream module for code running in the API process: emit, replay, connection count and
/// close. The HTTP endpoints are a thin layer over it.
/// </summary>
public sealed class EventStreamModule(
    EventValidator validator,
    EventStore store,
    EventHub hub,
    IEventBroker broker,
    StreamAdmission admission,
    EventTypeFilter moduleTypes,
    StreamMetrics metrics)
{
    public const int ReplayLimit = 1000;

    /// <summary>
    /// Commits the events and only then returns; the answer holds each event's id, sequence and timestamp. An id
    /// already stored is not stored again and answers with its original sequence.
    /// </summary>
    /// <exception cref="EmitRejectedException">The batch is invalid or too large; nothing was stored.</exception>
    public async Task<IReadOnlyList<EmittedEvent>> EmitAsync(IReadOnlyList<EventDraft> drafts, CancellationToken cancellationToken = default)
    {
        var events = validator.Validate(drafts, isBatch: drafts.Count != 1, out var rejection);
        if (rejection is not null)
        {
            throw new EmitRejectedException(rejection);
        }

        return await EmitValidatedAsync(events, cancellationToken);
    }

    internal async Task<IReadOnlyList<EmittedEvent>> EmitValidatedAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken)
    {
        var result = await store.AppendAsync(events, cancellationToken);
        if (result.Committed.Count > 0)
        {
            metrics.Emitted(result.Committed.Count);
            var envelopes = result.Committed.Select(c => EventEnvelope.From(c.Event, c.CommittedAt)).ToList();
            foreach (var envelope in envelopes)
            {
                hub.Publish(envelope);
            }

            // The events are committed: the emit must not fail now. The broker logs its own failures.
            await broker.PublishAsync(envelopes, CancellationToken.None);
        }

        return result.Emitted;
    }

    /// <summary>The seed's replay: up to 1000 events at or after <paramref name="since"/>, newest first.</summary>
    public async Task<IReadOnlyList<StreamEvent>> ReplayAsync(DateTimeOffset since, EventTypeFilter? types = null, CancellationToken cancellationToken = default)
    {
        var filter = types ?? moduleTypes;
        var rows = await store.ReadAsync(
            new EventQuery(0, ReplayLimit, filter.Types, Since: since, NewestFirst: true), cancellationToken);
        return [.. rows.Select(r => r.Event)];
    }

    /// <summary>Open streams on this replica.</summary>
    public int ConnectionCount => admission.Open;

    /// <summary>Open streams on every replica.</summary>
    public Task<long> CountAllConnectionsAsync(CancellationToken cancellationToken = default) =>
        broker.CountConnectionsAsync(cancellationToken);

    /// <summary>Ends every stream (clients reconnect, to another replica if there is one) and refuses new ones.</summary>
    public void Close()
    {
        admission.Close();
        hub.Close();
    }
}

public sealed class EmitRejectedException(EmitRejection rejection)
    : Exception("The events were rejected: " + string.Join("; ", rejection.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")))
{
    public EmitRejection Rejection { get; } = rejection;
}
