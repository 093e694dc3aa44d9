using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// SSF event streams: destinations of kind <c>ssf</c>, each owned by the receiver whose token made it (its subject, which
/// is also the streams' <c>aud</c>). A receiver finds, changes and deletes only its own: another's stream is, to it, a
/// stream that does not exist. A stream reads no more than its creator's token could: the token's read grant is the
/// stream's.
/// </summary>
public sealed class SsfStreams(NpgsqlDataSource dataSource, DestinationStore store)
{
    public async Task<SsfStream> CreateAsync(Subscriber receiver, string issuer, SsfStreamRequest request, CancellationToken cancellationToken)
    {
        var settings = new SsfStreamSettings(issuer, receiver.Id, request.Method, request.EventsRequested,
            request.Method == SsfStreamSettings.PushMethod ? request.AuthorizationHeader : null);
        var delivered = CaepRiscMapping.Delivered(request.EventsRequested);
        var destination = await store.CreateAsync(new NewDestination(
            DestinationKind.Ssf,
            request.Method == SsfStreamSettings.PushMethod ? request.EndpointUrl : null,
            request.Description,
            CaepRiscMapping.TypesFor(delivered),
            receiver.Reads,
            settings.ToConfig(),
            receiver.Id), cancellationToken);
        return SsfStream.Of(destination);
    }

    /// <summary>The receiver's stream with this id; null when there is none — or it is another receiver's.</summary>
    public async Task<SsfStream?> FindAsync(string? streamId, Subscriber receiver, CancellationToken cancellationToken)
    {
        if (streamId is null || !Guid.TryParse(streamId, out var id))
        {
            return null;
        }

        var destination = await store.GetAsync(id, cancellationToken);
        return destination is { Kind: DestinationKind.Ssf } && destination.CreatedBy == receiver.Id ? SsfStream.Of(destination) : null;
    }

    public async Task<IReadOnlyList<SsfStream>> ListAsync(Subscriber receiver, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {DestinationStore.Columns} FROM kavach_destinations WHERE kind = 'ssf' AND created_by = $1 ORDER BY created_at, id");
        command.Parameters.Add(new NpgsqlParameter { Value = receiver.Id });
        return (await DestinationStore.ReadAllAsync(command, cancellationToken)).Select(SsfStream.Of).ToArray();
    }

    /// <summary>
    /// PATCH (<paramref name="replace"/> false: members left out stay) or PUT (every receiver-supplied member is set; one
    /// left out is removed). The subjects the receiver removed are kept either way; so are the cursor and the status.
    /// </summary>
    public async Task<SsfStream?> UpdateAsync(SsfStream stream, SsfStreamRequest request, bool replace, CancellationToken cancellationToken)
    {
        var old = stream.Settings;
        var (method, url, header) = replace || request.HasDelivery
            ? (request.Method, request.Method == SsfStreamSettings.PushMethod ? request.EndpointUrl : null, request.AuthorizationHeader)
            : (old.Method, stream.Destination.Url, old.AuthorizationHeader);
        var requested = replace || request.HasEventsRequested ? request.EventsRequested : old.EventsRequested;
        var description = replace || request.HasDescription ? request.Description : stream.Destination.Description;
        var settings = old with { Method = method, EventsRequested = requested, AuthorizationHeader = header, ExcludedSubjects = null };

        await using var command = dataSource.CreateCommand($"""
            UPDATE kavach_destinations SET url = $2, description = $3, event_types = $4,
                config = $5::jsonb || jsonb_build_object('excluded_subjects', config->'excluded_subjects'), updated_at = clock_timestamp()
            WHERE id = $1 AND kind = 'ssf' RETURNING {DestinationStore.Columns}
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = stream.Destination.Id });
        p.Add(new NpgsqlParameter { Value = (object?)url?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = CaepRiscMapping.TypesFor(CaepRiscMapping.Delivered(requested)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = settings.ToConfig().GetRawText(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        return (await DestinationStore.ReadAllAsync(command, cancellationToken)).FirstOrDefault() is { } updated ? SsfStream.Of(updated) : null;
    }

    public Task<bool> DeleteAsync(SsfStream stream, CancellationToken cancellationToken) => store.DeleteAsync(stream.Destination.Id, cancellationToken);

    /// <summary>
    /// SSF §8.1.2: enabled sends, paused holds (and sends in order when enabled again), disabled drops — the cursor moves
    /// to the head when a stream is disabled and again when it is enabled, and what waited in its outbox is dropped.
    /// </summary>
    public async Task<SsfStream?> SetStatusAsync(SsfStream stream, DestinationState state, string? reason, CancellationToken cancellationToken)
    {
        var skip = state == DestinationState.Disabled || stream.Destination.State == DestinationState.Disabled;
        var changed = await store.SetStateAsync(stream.Destination.Id, state, reason, skip, cancellationToken);
        if (changed is not null && state == DestinationState.Disabled)
        {
            await using var drop = dataSource.CreateCommand("DELETE FROM kavach_destination_outbox WHERE destination = $1");
            drop.Parameters.Add(new NpgsqlParameter { Value = stream.Destination.Id });
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        return changed is null ? null : SsfStream.Of(changed);
    }

    public static string StatusText(DestinationState state) => DestinationStore.StateText(state);

    public static DestinationState? ParseStatus(string? text) => text switch
    {
        "enabled" => DestinationState.Enabled,
        "paused" => DestinationState.Paused,
        "disabled" => DestinationState.Disabled,
        _ => null,
    };
}
