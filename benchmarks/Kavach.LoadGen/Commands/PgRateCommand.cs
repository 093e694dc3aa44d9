using System.Diagnostics;
using System.Text;
using Kavach.LoadGen.Measuring;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.LoadGen.Commands;

/// <summary>
/// PostgreSQL's own rate for the rows an emit stores: the same columns, values of the same size and the same indexes
/// (a table created LIKE kavach_stream_events INCLUDING ALL), batches committed one transaction each at the server's
/// durability (fsync and synchronous_commit as configured), from C concurrent connections. <c>insert</c> sends the
/// API's own multi-row INSERT (unnest of arrays); <c>copy</c> uses binary COPY. No sequence lock, no
/// duplicate-id lookup: what the database alone can do.
/// </summary>
public static class PgRateCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var connectionString = arguments.Text("connection");
        var connections = (int)arguments.Number("connections", 8);
        var batch = (int)arguments.Number("batch", 100);
        var seconds = arguments.Real("duration", 10);
        var warmup = arguments.Real("warmup", 2);
        var mode = arguments.OptionalText("mode") ?? "insert";
        var table = arguments.OptionalText("table") ?? $"bench_pgrate_{mode}";
        var padding = new string('x', (int)arguments.Number("pad", 48));

        await using var dataSource = NpgsqlDataSource.Create(connectionString + $";Maximum Pool Size={connections + 2}");
        await using (var setup = dataSource.CreateCommand(
            $"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (LIKE kavach_stream_events INCLUDING ALL)"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var report = new Report();
        long nextSequence = 0, acked = 0, committed = 0;
        var latency = new LatencyHistogram();
        var measureFrom = Stopwatch.GetTimestamp() + (long)(warmup * Stopwatch.Frequency);
        var end = measureFrom + (long)(seconds * Stopwatch.Frequency);
        var sql = $"""
            INSERT INTO {table} (sequence, id, type, timestamp, body, agent_id, user_id)
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[])
            """;

        await Task.WhenAll(Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var agent = $"bench-{c}";
            while (Stopwatch.GetTimestamp() < end)
            {
                var first = Interlocked.Add(ref nextSequence, batch) - batch + 1;
                var stamp = Monotonic.Now;
                var now = DateTime.UtcNow;
                var body = new StringBuilder().Append("{\"id\":\"").Append(Guid.CreateVersion7()).Append("\",\"type\":\"audit\",\"timestamp\":\"")
                    .Append(now.ToString("O", System.Globalization.CultureInfo.InvariantCulture)).Append("\",\"data\":{\"t\":").Append(stamp).Append(",\"pad\":\"").Append(padding)
                    .Append("\"},\"agentId\":\"").Append(agent).Append("\"}").ToString();
                var started = Stopwatch.GetTimestamp();
                if (mode == "copy")
                {
                    await using var writer = await connection.BeginBinaryImportAsync(
                        $"COPY {table} (sequence, id, type, timestamp, body, agent_id, user_id) FROM STDIN (FORMAT BINARY)");
                    for (var i = 0; i < batch; i++)
                    {
                        await writer.StartRowAsync();
                        await writer.WriteAsync(first + i, NpgsqlDbType.Bigint);
                        await writer.WriteAsync(Guid.CreateVersion7().ToString(), NpgsqlDbType.Text);
                        await writer.WriteAsync("audit", NpgsqlDbType.Text);
                        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
                        await writer.WriteAsync(body, NpgsqlDbType.Text);
                        await writer.WriteAsync(agent, NpgsqlDbType.Text);
                        await writer.WriteNullAsync();
                    }

                    await writer.CompleteAsync();
                }
                else
                {
                    await using var command = new NpgsqlCommand(sql, connection)
                    {
                        Parameters =
                        {
                            new NpgsqlParameter { Value = Enumerable.Range(0, batch).Select(i => first + i).ToArray() },
                            new NpgsqlParameter { Value = Enumerable.Range(0, batch).Select(_ => Guid.CreateVersion7().ToString()).ToArray() },
                            new NpgsqlParameter { Value = Enumerable.Repeat("audit", batch).ToArray() },
                            new NpgsqlParameter { Value = Enumerable.Repeat(now, batch).ToArray() },
                            new NpgsqlParameter { Value = Enumerable.Repeat(body, batch).ToArray() },
                            new NpgsqlParameter { Value = Enumerable.Repeat(agent, batch).ToArray() },
                            new NpgsqlParameter { Value = Enumerable.Repeat<string?>(null, batch).ToArray() },
                        },
                    };
                    await command.ExecuteNonQueryAsync();
                }

                var done = Stopwatch.GetTimestamp();
                Interlocked.Add(ref committed, batch);
                if (started >= measureFrom && done <= end)
                {
                    Interlocked.Add(ref acked, batch);
                    latency.Record((long)((done - started) * 1e6 / Stopwatch.Frequency));
                }
            }
        })));

        await using (var drop = dataSource.CreateCommand($"DROP TABLE IF EXISTS {table}"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        report.Print("pgrate", new
        {
            mode,
            connections,
            batch,
            committed,
            acked,
            eventsPerSecond = Math.Round(acked / seconds, 1),
            latency = latency.Summarize(),
        });
        return 0;
    }
}
