using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kavach.FaultTests.Workload;
using StackExchange.Redis;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// What a deployment to Azure Container Apps must survive, rehearsed behind the ACA-like ingress (see
/// <see cref="AcaRehearsal"/>): quiet streams past the idle timeout, the console's sign-in behind TLS termination,
/// a replica's SIGTERM (scale-in, revision swap) and a console restart (new revision).
/// </summary>
[TestClass]
public sealed partial class AcaRehearsalTests
{
    private static AcaRehearsal s_rehearsal = null!;
    private static readonly Stopwatch s_running = new();

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_running.Start();
        s_rehearsal = await AcaRehearsal.StartAsync("aca-rehearsal");
        context.WriteLine($"Rehearsal started in {s_running.Elapsed.TotalSeconds:0.0} s: API {s_rehearsal.StreamApi}, console {s_rehearsal.ConsoleAddress}");
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_rehearsal is not null)
        {
            await s_rehearsal.DisposeAsync();
        }

        System.Console.WriteLine($"ACA rehearsal: {s_running.Elapsed.TotalSeconds:0.0} s from start to stop");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheIngressCutsARequestThatStaysSilentForItsIdleTimeout()
    {
        using var client = s_rehearsal.Client(s_rehearsal.Ingress.AddressOf("silent"));
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync("/silent", HttpCompletionOption.ResponseHeadersRead, TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(TestContext.CancellationToken);
        var buffer = new byte[256];
        try
        {
            while (await body.ReadAsync(buffer, TestContext.CancellationToken) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
        }

        TestContext.WriteLine($"A silent request was cut by the ingress after {watch.Elapsed.TotalSeconds:0.0} s (idle timeout {AcaRehearsal.IdleTimeout.TotalSeconds} s)");
        Assert.IsTrue(watch.Elapsed >= AcaRehearsal.IdleTimeout - TimeSpan.FromSeconds(0.5), $"cut after {watch.Elapsed}, before the idle timeout");
        Assert.IsTrue(watch.Elapsed < AcaRehearsal.IdleTimeout + TimeSpan.FromSeconds(10), $"not cut for {watch.Elapsed}");
    }

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)] // the quiet period can be set long by hand; every other wait is bounded
    public async Task AQuietStreamOutlivesTheIdleTimeoutOnHeartbeats()
    {
        var quiet = AcaRehearsal.QuietPeriod;
        Assert.IsTrue(quiet > AcaRehearsal.IdleTimeout, "the quiet period must be longer than the idle timeout to show anything");
        using var emitter = s_rehearsal.Client(s_rehearsal.StreamApi);
        var (follower, stop, handler) = StartFollower("quiet");
        try
        {
            await follower.FirstConnected.WaitAsync(TimeSpan.FromSeconds(20), TestContext.CancellationToken);
            var before = await s_rehearsal.EmitAsync(emitter, "quiet-before-" + Guid.NewGuid().ToString("N"), TestContext.CancellationToken);
            await WaitUntilAsync(() => follower.Deliveries.Any(d => d.Sequence == before), TimeSpan.FromSeconds(10));
            var lastBefore = Stopwatch.GetTimestamp();

            // The silence is what is tested: no condition can stand for "nothing was sent for this long".
            await Task.Delay(quiet, TestContext.CancellationToken);

            var after = await s_rehearsal.EmitAsync(emitter, "quiet-after-" + Guid.NewGuid().ToString("N"), TestContext.CancellationToken);
            await WaitUntilAsync(() => follower.Deliveries.Any(d => d.Sequence == after), TimeSpan.FromSeconds(10));
            var survived = Stopwatch.GetElapsedTime(lastBefore);

            TestContext.WriteLine($"A stream stayed open through the ingress for {survived.TotalSeconds:0.0} s without an event " +
                $"(idle timeout {AcaRehearsal.IdleTimeout.TotalSeconds} s, heartbeat {AcaRehearsal.HeartbeatInterval.TotalSeconds} s)");
            Assert.AreEqual(1, follower.Connections.Count,
                "the stream was reopened: " + string.Join("; ", follower.Connections.Select(c => c.EndReason)));
            Assert.AreEqual(0, follower.IdleDrops);
        }
        finally
        {
            await stop.CancelAsync();
            await follower.Running!;
            handler.Dispose();
        }
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task SubscribersOfAReplicaThatGetsSigtermResumeOnTheOtherAndLoseNothing()
    {
        var followers = Enumerable.Range(0, 6).Select(i => StartFollower($"handover-{i}")).ToList();
        using var stopEmitting = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        var acked = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var emitters = new List<Task>();
        try
        {
            await Task.WhenAll(followers.Select(f => f.Follower.FirstConnected)).WaitAsync(TimeSpan.FromSeconds(30), TestContext.CancellationToken);
            var stopToken = stopEmitting.Token;
            for (var e = 0; e < 2; e++)
            {
                var emitter = e;
                emitters.Add(Task.Run(async () =>
                {
                    using var client = s_rehearsal.Client(s_rehearsal.StreamApi);
                    for (var n = 0; !stopToken.IsCancellationRequested; n++)
                    {
                        var id = $"handover-{emitter}-{n}";
                        try
                        {
                            acked[id] = await s_rehearsal.EmitAsync(client, id, stopToken);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }

                        await Task.Delay(40, CancellationToken.None);
                    }
                }, CancellationToken.None));
            }

            // Traffic flowing to every subscriber before the stop, and going on through the other replica after it.
            await WaitUntilAsync(() => acked.Count >= 40 && followers.All(f => f.Follower.Deliveries.Count >= 10), TimeSpan.FromSeconds(30));
            var victim = s_rehearsal.Replicas[0];
            var shutdown = await victim.TerminateAsync(TimeSpan.FromSeconds(25));
            Assert.AreEqual(0, victim.ExitCode, victim.LogTail());
            var ackedAtShutdown = acked.Count;
            await WaitUntilAsync(() => acked.Count >= ackedAtShutdown + 40, TimeSpan.FromSeconds(30));
            await stopEmitting.CancelAsync();
            await Task.WhenAll(emitters);

            var ids = acked.Keys.ToList();
            await WaitUntilAsync(() => followers.All(f => ids.All(f.Follower.HasReceived)), TimeSpan.FromSeconds(30), throwOnTimeout: false);

            var lost = followers.Sum(f => ids.Count(id => !f.Follower.HasReceived(id)));
            var moved = followers.Count(f => f.Follower.Connections.Skip(1).Any(c => c.LastEventIdSent is not null && c.Status == 200));
            TestContext.WriteLine($"SIGTERM to replica 0: it shut down in {shutdown.TotalSeconds:0.0} s (exit 0); {moved} of {followers.Count} " +
                $"subscribers resumed with Last-Event-ID through the ingress; {ids.Count} events acknowledged, {lost} lost over all subscribers");
            Assert.AreEqual(0, lost, "events acknowledged but never delivered to a subscriber");
            Assert.IsTrue(moved >= 1, "no subscriber was on the replica that stopped: " +
                string.Join(" | ", followers.Select(f => string.Join("; ", f.Follower.Connections.Select(c => $"{c.Status} {c.EndReason}")))));
            foreach (var (follower, _, _) in followers)
            {
                var sequences = follower.Deliveries.Select(d => d.Sequence).ToList();
                Assert.IsTrue(sequences.Zip(sequences.Skip(1)).All(p => p.Second > p.First), $"{follower.Name}: out of order or duplicated");
            }

            Assert.IsTrue(shutdown < TimeSpan.FromSeconds(20), $"shutdown took {shutdown}, beyond Kavach:ShutdownTimeout (ACA kills at its grace period)");
        }
        finally
        {
            await stopEmitting.CancelAsync();
            foreach (var (follower, stop, handler) in followers)
            {
                await stop.CancelAsync();
                await follower.Running!;
                handler.Dispose();
            }

            if (!s_rehearsal.Replicas[0].IsRunning)
            {
                await s_rehearsal.Replicas[0].StartAsync();
            }
        }
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheConsoleSignsInThroughTheIngressWithASecureCookieAndStaysLive()
    {
        var cookies = new CookieContainer();
        using var console = s_rehearsal.Client(s_rehearsal.ConsoleAddress, cookies);
        var setCookie = await SignInAsync(console);

        StringAssert.Contains(setCookie, "secure", StringComparison.OrdinalIgnoreCase);
        StringAssert.Contains(setCookie, "httponly", StringComparison.OrdinalIgnoreCase);
        StringAssert.Contains(setCookie, "samesite=strict", StringComparison.OrdinalIgnoreCase);

        using var anonymous = s_rehearsal.Client(s_rehearsal.ConsoleAddress);
        using (var refused = await anonymous.GetAsync("/api/console/feed", TestContext.CancellationToken))
        {
            Assert.AreEqual(HttpStatusCode.Unauthorized, refused.StatusCode, "the feed answered without a session");
        }

        using (var page = await anonymous.GetAsync("/", TestContext.CancellationToken))
        {
            Assert.AreEqual(HttpStatusCode.Redirect, page.StatusCode, "a page answered without a session");
            StringAssert.StartsWith(page.Headers.Location!.ToString(), s_rehearsal.ConsoleAddress + "login",
                "the redirect must be to the public https:// address the ingress serves");
        }

        using var emitter = s_rehearsal.Client(s_rehearsal.StreamApi);
        var sequence = await s_rehearsal.EmitAsync(emitter, "console-live-" + Guid.NewGuid().ToString("N"), TestContext.CancellationToken);
        JsonElement feed = default;
        await WaitUntilAsync(async () =>
        {
            feed = await FeedAsync(console);
            return feed.GetProperty("lastSequence").GetInt64() >= sequence;
        }, TimeSpan.FromSeconds(30));
        TestContext.WriteLine($"Console feed through the ingress: {feed}");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task ASecondConsoleStartReadsTheCookiesTheFirstIssued()
    {
        var cookies = new CookieContainer();
        using (var first = s_rehearsal.Client(s_rehearsal.ConsoleAddress, cookies))
        {
            await SignInAsync(first);
            await FeedAsync(first);
        }

        await s_rehearsal.Console.TerminateAsync(TimeSpan.FromSeconds(25));
        s_rehearsal.ReplaceConsoleFileSystem();
        await s_rehearsal.Console.StartAsync();

        using var second = s_rehearsal.Client(s_rehearsal.ConsoleAddress, cookies);
        var feed = await FeedAsync(second);
        TestContext.WriteLine($"After a restart the console accepted the cookie it issued before: {feed}");

        await using var redis = await ConnectionMultiplexer.ConnectAsync(s_rehearsal.Redis.ConnectionString);
        var keys = await redis.GetDatabase().ListLengthAsync("kavach:console:data-protection-keys");
        Assert.IsTrue(keys >= 1, "no Data Protection key in Redis");
    }

    private (Follower Follower, CancellationTokenSource Stop, HttpMessageHandler Handler) StartFollower(string name)
    {
        var handler = Kavach.FaultTests.Deployment.SelfSignedCertificate.TrustingOnly(s_rehearsal.Certificate);
        var follower = new Follower(name, [s_rehearsal.StreamApi], 0, new HttpMessageInvoker(handler, disposeHandler: false),
            s_rehearsal.ReadTokenFor(name), new ScenarioClock(), new ResponseLedger(), startAfter: null,
            idleTimeout: AcaRehearsal.IdleTimeout);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        follower.Start(stop.Token);
        return (follower, stop, handler);
    }

    /// <summary>The login form as a browser posts it (antiforgery token included); the session cookie's Set-Cookie.</summary>
    private async Task<string> SignInAsync(HttpClient console)
    {
        var page = await console.GetStringAsync("/login", TestContext.CancellationToken);
        var form = new Dictionary<string, string>
        {
            ["_handler"] = HiddenField(page, "_handler"),
            ["__RequestVerificationToken"] = HiddenField(page, "__RequestVerificationToken"),
            ["Input.AccessKey"] = s_rehearsal.AccessKey,
        };
        using var response = await console.PostAsync("/login", new FormUrlEncodedContent(form), TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.Redirect, response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.CancellationToken));
        var session = response.Headers.GetValues("Set-Cookie").SingleOrDefault(c => c.StartsWith("kavach.console=", StringComparison.Ordinal));
        Assert.IsNotNull(session, "no session cookie after signing in");
        return session;
    }

    private async Task<JsonElement> FeedAsync(HttpClient console)
    {
        using var response = await console.GetAsync("/api/console/feed", TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, $"the console did not accept its session cookie (Location: {response.Headers.Location})");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.CancellationToken));
        return document.RootElement.Clone();
    }

    private static string HiddenField(string page, string name)
    {
        var match = Regex.Match(page, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"");
        Assert.IsTrue(match.Success, $"the login page has no {name} field");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, bool throwOnTimeout = true) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, throwOnTimeout);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, bool throwOnTimeout = true)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > timeout)
            {
                if (throwOnTimeout)
                {
                    throw new TimeoutException($"not within {timeout}");
                }

                return;
            }

            await Task.Delay(100);
        }
    }
}
