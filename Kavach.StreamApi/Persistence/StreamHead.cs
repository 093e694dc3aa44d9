namespace Kavach.StreamApi.Persistence;

/// <summary>Where the stream stands in PostgreSQL: its identity, epoch, last assigned sequence and oldest kept one.</summary>
public sealed record StreamHead(Guid StreamId, long Epoch, long EpochStartsAfter, long Last, long? Oldest)
{
    /// <summary>The first sequence a reader can still get: the oldest kept, or the next one when nothing is kept.</summary>
    public long FirstKept => Oldest ?? Last + 1;
}

/// <summary>
/// An epoch; the last sequence it shares with the epoch before it (where streams go back to); and the last sequence
/// committed when it began (events after it are hashed with this epoch; those between the two, committed before anyone
/// noticed the database had gone back, were hashed with the epoch before).
/// </summary>
public sealed record EpochStart(long Epoch, long StartsAfter, long ChainStartsAfter)
{
    /// <summary>Every epoch, oldest first; an epoch begun before migration 7 recorded its hashing start counts from its start.</summary>
    internal const string SelectAll =
        "SELECT epoch, starts_after, coalesce(chain_starts_after, starts_after) FROM kavach_stream_epochs ORDER BY epoch";

    internal static EpochStart Read(Npgsql.NpgsqlDataReader reader) => new(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));

    /// <summary>Every epoch, read with <paramref name="command"/> (a pool's or a snapshot's connection).</summary>
    internal static async Task<List<EpochStart>> ReadAllAsync(Npgsql.NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var epochs = new List<EpochStart>();
            while (await reader.ReadAsync(cancellationToken))
            {
                epochs.Add(Read(reader));
            }

            return epochs;
        }
    }
}
