#:project ../Kavach.Client/Kavach.Client.csproj
#:property PublishAot=false

// Tails the Kavach stream to the terminal, one line per event, and survives replica restarts: Kavach.Client resumes
// after the last event it printed, each event once, in order.
//   dotnet run samples/tail.cs                                  (http://localhost:5080, every type)
//   dotnet run samples/tail.cs -- http://localhost:5080 anomaly.detected,budget.exceeded
// Token: KAVACH_TOKEN if set, else a fresh one from the Development token endpoint on every (re)connect.
// Resume: KAVACH_CURSOR=<position> starts after that position; the last position is printed on exit.
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using Kavach.Client;
using Kavach.Contracts;

var baseAddress = new Uri(args.Length > 0 ? args[0] : "http://localhost:5080");
string[] types = args.Length > 1 ? args[1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
using var tokenEndpoint = new HttpClient { BaseAddress = baseAddress };

async ValueTask<string?> TokenAsync(CancellationToken cancellationToken)
{
    if (Environment.GetEnvironmentVariable("KAVACH_TOKEN") is { Length: > 0 } token)
    {
        return token;
    }

    using var response = await tokenEndpoint.PostAsJsonAsync("/api/kavach/dev/tokens",
        new { subject = "tail", scope = "events:read" }, cancellationToken);
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<DevelopmentToken>(cancellationToken))?.Token;
}

var client = new KavachClient(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, new KavachClientOptions
{
    BaseAddress = baseAddress,
    AccessTokenProvider = TokenAsync,
    ReconnectMaxDelay = TimeSpan.FromSeconds(5),
});
var stream = client.Stream(new StreamRequest { Types = types, After = Environment.GetEnvironmentVariable("KAVACH_CURSOR") });
stream.Disconnected += (reason, delay) =>
    Console.Error.WriteLine($"-- disconnected ({reason}); resuming after {stream.Cursor ?? "now"} in {delay.TotalSeconds:0.0} s");

// Ctrl+C (SIGINT) or a service manager's SIGTERM ends it cleanly, printing where to resume.
using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    await foreach (var item in stream.WithCancellation(stop.Token))
    {
        switch (item)
        {
            case KavachEvent e:
                Console.WriteLine($"{e.Position} {e.Type} agent={e.AgentId ?? "-"} user={e.UserId ?? "-"} id={e.Id} data={e.Data.GetRawText()}");
                break;
            case Connected connected:
                Console.Error.WriteLine($"-- connected as {connected.SubscriberId} (epoch {connected.Epoch})");
                break;
            case Resync resync:
                Console.Error.WriteLine($"-- resync: {resync.Reason}; continuing after {stream.Cursor}");
                break;
            case StreamError error:
                Console.Error.WriteLine($"-- the server ended the stream: {error.Code}");
                break;
        }
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
}
catch (KavachAuthorizationException refused)
{
    Console.Error.WriteLine($"-- {refused.Message}");
    return 1;
}

Console.Error.WriteLine($"-- stopped; resume with KAVACH_CURSOR={stream.Cursor}");
return 0;

void Stop(PosixSignalContext signal)
{
    signal.Cancel = true;
    stop.Cancel();
}

internal sealed record DevelopmentToken(string Token);
