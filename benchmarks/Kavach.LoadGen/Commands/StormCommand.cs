using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.LoadGen.Protocol;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.LoadGen.Commands;

/// <summary>
/// A reconnect storm: many clients resume at once from the same cursor, each its own subject, and each must then
/// receive every sequence up to a target exactly once, in order (a client that is cut off reconnects with its last
/// id, as EventSource does). Prints a JSON summary.
/// </summary>
public static class StormCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var api = new Uri(arguments.Text("url"));
        var signingKey = arguments.Text("signing-key");
        var clients = (int)arguments.Number("clients");
        var after = arguments.Text("after");
        var until = arguments.Number("until");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(arguments.Number("timeout", 120)));

        var started = Stopwatch.GetTimestamp();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(i =>
            Task.Run(() => RunClientAsync(api, KavachTokens.Issue(signingKey, $"storm-{i}", [KavachScopes.Read], TimeSpan.FromHours(1)), after, until, timeout.Token))));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            clients,
            completed = results.Count(r => r.Completed),
            events = results.Sum(r => r.Events),
            reconnects = results.Sum(r => r.Connections - 1),
            violations = results.SelectMany(r => r.Violations).Take(20).ToArray(),
            violationCount = results.Sum(r => r.Violations.Count),
            seconds = Math.Round(seconds, 3),
            slowestClientSeconds = Math.Round(results.Max(r => r.Seconds), 3),
            cpuSeconds = Math.Round(cpu, 3),
        }));
        return results.All(r => r.Completed && r.Violations.Count == 0) ? 0 : 1;
    }

    private sealed record ClientResult(bool Completed, long Events, int Connections, List<string> Violations, double Seconds);

    private static async Task<ClientResult> RunClientAsync(Uri api, string token, string after, long until, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var lastId = after;
        var expected = Sequence(after) + 1;
        var events = 0L;
        var connections = 0;
        var violations = new List<string>();
        while (!cancellationToken.IsCancellationRequested && expected <= until)
        {
            connections++;
            try
            {
                using var stream = await SseSocket.OpenAsync(api, "/api/kavach/events/stream", token, lastId, cancellationToken);
                await stream.ReadAsync((type, id) =>
                {
                    if (id is null)
                    {
                        if (type is "resync")
                        {
                            violations.Add($"resync after {lastId}");
                        }

                        return true;
                    }

                    var sequence = Sequence(id);
                    if (sequence != expected)
                    {
                        violations.Add($"expected {expected}, got {id}");
                    }

                    expected = sequence + 1;
                    lastId = id;
                    events++;
                    return expected <= until;
                }, cancellationToken);
                if (stream.Status is not (0 or 200))
                {
                    violations.Add($"HTTP {stream.Status}");
                    await Task.Delay(500, cancellationToken);
                }
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return new ClientResult(expected > until, events, connections, violations, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The sequence of an event id: <c>N</c> or <c>E:N</c>.</summary>
    private static long Sequence(string id) => long.Parse(id.AsSpan(id.IndexOf(':') + 1), CultureInfo.InvariantCulture);
}
