using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// Poll delivery of an SSF stream (RFC 8936). A poll first applies the receiver's acknowledgements (<c>ack</c>, and
/// <c>setErrs</c>, which acknowledge too: the receiver has the SET and said what was wrong with it), then returns what
/// is waiting: the stream's outbox messages (verification) first, then the log's events after the cursor that the
/// stream carries and the receiver has not acknowledged — the same SET bytes, same <c>jti</c>, each time until it is.
/// The cursor moves over the acknowledged (or not carried) prefix; acknowledgements beyond it wait in
/// <c>kavach_ssf_acks</c>. Without <c>returnImmediately</c> an empty answer waits for an event, up to
/// <see cref="SsfOptions.PollMaxWait"/>. A paused stream answers nothing and keeps everything; a disabled one drops.
/// </summary>
public sealed class SsfPoll(NpgsqlDataSource dataSource, ICommittedStream log, ILiveEvents live, SsfOutbox outbox, SetBuilder sets,
    IOptions<SsfOptions> options, TimeProvider time)
{
    private const int Page = 500;
    private const int MaxPages = 4;

    /// <summary>How often a waiting poll looks again without being woken (an outbox message queued on another replica).</summary>
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    public async Task<SsfPollAnswer> PollAsync(SsfStream stream, SsfPollRequest request, CancellationToken cancellationToken)
    {
        await AcknowledgeAsync(stream, request, cancellationToken);
        var max = Math.Clamp(request.MaxEvents ?? options.Value.PollDefaultEvents, 0, options.Value.PollMaxEvents);
        var deadline = time.GetUtcNow() + options.Value.PollMaxWait;
        while (true)
        {
            // Listening before looking: an event committed in between still wakes this poll.
            var wake = new WakeSignal();
            live.Listen(wake);
            try
            {
                var answer = await CollectAsync(stream.Destination.Id, max, cancellationToken);
                var left = deadline - time.GetUtcNow();
                if (answer.Sets.Count > 0 || answer.MoreAvailable || request.ReturnImmediately || max == 0 || left <= TimeSpan.Zero)
                {
                    return answer;
                }

                try
                {
                    await wake.WaitAsync().AsTask().WaitAsync(left < Recheck ? left : Recheck, time, cancellationToken);
                }
                catch (TimeoutException)
                {
                }
            }
            finally
            {
                live.Unlisten(wake);
            }
        }
    }

    private async Task AcknowledgeAsync(SsfStream stream, SsfPollRequest request, CancellationToken cancellationToken)
    {
        var id = stream.Destination.Id;
        var sequences = new List<long>();
        foreach (var jti in request.Acknowledged.Concat(request.Errors.Keys).Distinct(StringComparer.Ordinal))
        {
            if (stream.TryParseJti(jti, out var sequence))
            {
                sequences.Add(sequence);
            }
            else if (jti.StartsWith(stream.StreamId, StringComparison.Ordinal))
            {
                await outbox.AcknowledgeAsync(id, jti, cancellationToken);
            }
        }

        if (sequences.Count > 0)
        {
            await using var command = dataSource.CreateCommand("""
                WITH acked AS (
                    INSERT INTO kavach_ssf_acks (destination, sequence)
                    SELECT $1, s FROM unnest($2::bigint[]) AS s WHERE s > (SELECT cursor FROM kavach_destinations WHERE id = $1)
                    ON CONFLICT DO NOTHING RETURNING 1)
                UPDATE kavach_destinations SET delivered = delivered + (SELECT count(*) FROM acked), last_success_at = clock_timestamp()
                WHERE id = $1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = sequences.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (request.Errors.Count > 0)
        {
            var (jti, error) = request.Errors.First();
            await using var command = dataSource.CreateCommand("UPDATE kavach_destinations SET last_error = $2, last_error_at = clock_timestamp() WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = $"receiver's error for {jti}: {SetErrors.Describe(error)}" });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>What the stream's receiver gets now, read afresh (another poll or a status change may have moved it).</summary>
    private async Task<SsfPollAnswer> CollectAsync(Guid id, int max, CancellationToken cancellationToken)
    {
        await using var read = dataSource.CreateCommand($"SELECT {DestinationStore.Columns} FROM kavach_destinations WHERE id = $1");
        read.Parameters.Add(new NpgsqlParameter { Value = id });
        if ((await DestinationStore.ReadAllAsync(read, cancellationToken)).FirstOrDefault() is not { State: DestinationState.Enabled } destination)
        {
            return new SsfPollAnswer(new Dictionary<string, string>(), false);
        }

        var stream = SsfStream.Of(destination);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var message in await outbox.ReadAsync(id, max + 1, cancellationToken))
        {
            if (found.Count == max)
            {
                return new SsfPollAnswer(found, true);
            }

            found[message.MessageId] = await sets.SignAsync(message.Payload, cancellationToken);
        }

        var window = await ReadWindowAsync(stream, max - found.Count, cancellationToken);
        if (window.Cursor > destination.Cursor)
        {
            await MoveCursorAsync(id, window.Cursor, cancellationToken);
        }

        foreach (var stored in window.Unacknowledged)
        {
            found[stream.Jti(stored.Sequence)] = await sets.BuildAsync(stream, stored, cancellationToken);
        }

        return new SsfPollAnswer(found, window.More);
    }

    private async Task<SsfPollWindow> ReadWindowAsync(SsfStream stream, int max, CancellationToken cancellationToken)
    {
        var cursor = stream.Destination.Cursor;
        var acknowledged = await ReadAcknowledgedAsync(stream.Destination.Id, cursor, cancellationToken);
        var events = new List<StoredEvent>();
        for (var page = 0; page < MaxPages; page++)
        {
            var after = events.Count > 0 ? events[^1].Sequence : cursor;
            var read = await log.ReadAsync(new EventQuery(after, Page), cancellationToken, fromHistoryPool: true);
            events.AddRange(read);
            var window = SsfPollWindow.Decide(cursor, events, stream.Carries, acknowledged, max);
            if (window.More || read.Count < Page)
            {
                return window;
            }
        }

        // Scanned as far as one poll may: what was found goes now, and the receiver is told to come back.
        return SsfPollWindow.Decide(cursor, events, stream.Carries, acknowledged, max) with { More = true };
    }

    private async Task<HashSet<long>> ReadAcknowledgedAsync(Guid id, long cursor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT sequence FROM kavach_ssf_acks WHERE destination = $1 AND sequence > $2");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = cursor });
        var acknowledged = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            acknowledged.Add(reader.GetInt64(0));
        }

        return acknowledged;
    }

    private async Task MoveCursorAsync(Guid id, long cursor, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var move = new NpgsqlBatchCommand("UPDATE kavach_destinations SET cursor = greatest(cursor, $2) WHERE id = $1 AND state = 'enabled'");
        move.Parameters.Add(new NpgsqlParameter { Value = id });
        move.Parameters.Add(new NpgsqlParameter { Value = cursor });
        var prune = new NpgsqlBatchCommand("DELETE FROM kavach_ssf_acks WHERE destination = $1 AND sequence <= $2");
        prune.Parameters.Add(new NpgsqlParameter { Value = id });
        prune.Parameters.Add(new NpgsqlParameter { Value = cursor });
        batch.BatchCommands.Add(move);
        batch.BatchCommands.Add(prune);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
