using System.Collections.Concurrent;
using System.Text.Json;
using Bunit;
using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Components.Controls;
using Kavach.Dashboard.Components.Pages;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Events;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// The console's side of alerts (bUnit and its background services) against a small real HTTP server standing in for
/// the API's alert routes: the banner shows what the API holds, changes go there as the signed-in person, a viewer
/// cannot make them, and a raise the API does not take is retried with backoff and shown as degraded meanwhile.
/// </summary>
[TestClass]
public sealed class AlertsConsoleTests
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [TestMethod]
    public async Task TheBannerShowsTheApisOpenAlertsAndAcknowledgesAsTheSignedInPerson()
    {
        await using var api = await AlertsApi.StartAsync(Alert(1, "Anomaly detected for agent agent-x", AlertStates.Open),
            Alert(2, "Already handled", AlertStates.Acknowledged));
        await using var console = await ConsoleHarness.StartAsync(api, ConsoleRoles.Responder, "bob");
        var cut = console.Context.Render<AlertBanner>();

        cut.WaitForAssertion(() => StringAssert.Contains(cut.Find("[data-alert-id='1']").TextContent, "agent agent-x"), WaitTimeout);
        Assert.IsEmpty(cut.FindAll("[data-alert-id='2']"), "only open alerts are on the banner");

        await cut.Find("[data-alert-id='1'] button").ClickAsync();
        cut.WaitForAssertion(() => Assert.IsEmpty(cut.FindAll("[data-testid=alert-banner]")), WaitTimeout);
        Assert.AreEqual("1 acknowledged by bob, note: ", api.Changes.Single());
    }

    [TestMethod]
    public async Task TheHistoryPageShowsEvidenceAndEveryChangeAndResolvesWithANote()
    {
        await using var api = await AlertsApi.StartAsync(Alert(7, "Burst of failed sign-ins for user mallory", AlertStates.Acknowledged) with
        {
            Evidence = [41, 42, 43],
            History =
            [
                new(AlertStates.Open, "kavach-console", "kavach-console", Now.AddMinutes(-5), null),
                new(AlertStates.Acknowledged, "alice", "kavach-console", Now.AddMinutes(-2), "looking into it"),
            ],
        });
        await using var console = await ConsoleHarness.StartAsync(api, ConsoleRoles.Responder, "bob");
        var cut = console.Context.Render<AlertDetail>(p => p.Add(c => c.Id, 7));

        cut.WaitForAssertion(() => Assert.AreEqual("acknowledged", cut.Find("[data-testid=alert-state]").TextContent), WaitTimeout);
        CollectionAssert.AreEqual(new[] { "history?after=40", "history?after=41", "history?after=42" },
            cut.FindAll("[data-testid=alert-evidence] a").Select(a => a.GetAttribute("href")).ToArray());
        var acknowledged = cut.Find("[data-testid=alert-history] li[data-state=acknowledged]");
        StringAssert.Contains(acknowledged.TextContent, "alice");
        StringAssert.Contains(acknowledged.TextContent, "“looking into it”");
        StringAssert.Contains(acknowledged.TextContent, "through kavach-console");
        Assert.IsEmpty(cut.FindAll("[data-testid=alert-acknowledge]"), "an acknowledged alert is not acknowledged again");

        await cut.Find("[data-testid=alert-note]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "password reset, user informed" });
        await cut.Find("[data-testid=alert-resolve]").ClickAsync();
        cut.WaitForAssertion(() => Assert.AreEqual("resolved", cut.Find("[data-testid=alert-state]").TextContent), WaitTimeout);
        Assert.AreEqual("7 resolved by bob, note: password reset, user informed", api.Changes.Single());
        StringAssert.Contains(cut.Find("[data-testid=alert-history] li[data-state=resolved]").TextContent, "password reset, user informed");
    }

    [TestMethod]
    public async Task AViewerSeesNoButtonsAndCannotChangeAnAlertEvenByCallingTheActionDirectly()
    {
        await using var api = await AlertsApi.StartAsync(Alert(3, "Anomaly detected for user carol", AlertStates.Open));
        await using var console = await ConsoleHarness.StartAsync(api, ConsoleRoles.Viewer, "carol");
        var banner = console.Context.Render<AlertBanner>();
        banner.WaitForAssertion(() => banner.Find("[data-alert-id='3']"), WaitTimeout);
        Assert.IsEmpty(banner.FindAll("button"));
        var page = console.Context.Render<AlertDetail>(p => p.Add(c => c.Id, 3));
        page.WaitForAssertion(() => page.Find("[data-testid=alert-read-only]"), WaitTimeout);

        var actions = console.Context.Services.GetRequiredService<AlertActions>();
        var user = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, "carol")], "test"));
        var outcome = await actions.ChangeStateAsync(user, 3, AlertStates.Acknowledged, null, CancellationToken.None);
        Assert.AreEqual(403, outcome.Status);
        Assert.IsEmpty(api.Changes, "nothing reached the API");
    }

    [TestMethod]
    public async Task ARaiseTheApiDoesNotTakeIsRetriedWithBackoffAndShownAsDegradedUntilItIs()
    {
        await using var api = await AlertsApi.StartAsync();
        api.FailRaises = 2;
        await using var console = await ConsoleHarness.StartAsync(api, ConsoleRoles.Responder, "bob");
        await console.Raiser.StartAsync(CancellationToken.None);
        var banner = console.Context.Render<AlertBanner>();

        console.Raises.Observe(TestEvents.Make(9, EventTypes.AnomalyDetected, agentId: "agent-r", data: new { score = 0.99 }));
        await api.WaitForRaisesAsync(1);
        await WaitUntilAsync(() => console.Raises.Due().NextDueAt == Now.AddSeconds(1), "the first retry is due a second later");
        banner.WaitForAssertion(() => StringAssert.Contains(banner.Find("[data-testid=alerts-degraded]").TextContent, "1 alert waiting for the API"), WaitTimeout);

        console.Clock.Advance(TimeSpan.FromSeconds(1));
        await api.WaitForRaisesAsync(2);
        await WaitUntilAsync(() => console.Raises.Due().NextDueAt == Now.AddSeconds(3), "the second retry waits twice as long");
        Assert.AreEqual(1, console.Raises.Status.Retrying, "failed twice, still waiting");

        console.Clock.Advance(TimeSpan.FromSeconds(2));
        await api.WaitForRaisesAsync(3);

        banner.WaitForAssertion(() =>
        {
            Assert.IsEmpty(banner.FindAll("[data-testid=alerts-degraded]"));
            StringAssert.Contains(banner.Find("[data-testid=alert-banner]").TextContent, "agent agent-r");
        }, WaitTimeout);
        Assert.AreEqual(new PendingRaisesStatus(0, 0, null, 1, 0, 0, null, Now), console.Raises.Status with { LastErrorAt = Now });
        var raised = api.Raised.Single();
        Assert.AreEqual(AnomalyRuleOptions.Rule, raised.Rule);
        CollectionAssert.AreEqual(new long[] { 9 }, raised.Evidence!.ToArray());
    }

    [TestMethod]
    public async Task ARaiseTheApiRejectsForWhatItSaysLeavesAndIsCounted()
    {
        await using var api = await AlertsApi.StartAsync();
        api.RejectRaises = true;
        await using var console = await ConsoleHarness.StartAsync(api, ConsoleRoles.Responder, "bob");
        await console.Raiser.StartAsync(CancellationToken.None);

        console.Raises.Observe(TestEvents.Make(9, EventTypes.AnomalyDetected, data: new { score = 0.99 }));
        await api.WaitForRaisesAsync(1);
        await WaitUntilAsync(() => console.Raises.Status.Rejected == 1, "the rejected raise is counted");
        Assert.AreEqual(1, console.Raises.Status.Rejected);
        Assert.AreEqual(0, console.Raises.Status.Pending);
        StringAssert.Contains(console.Raises.Status.LastError, "evidence 9 is not a stored event");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + WaitTimeout;
        while (!condition())
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"timed out waiting: {what}");
            await Task.Delay(10);
        }
    }

    private static AlertView Alert(long id, string title, string state) => new(
        id, AnomalyRuleOptions.Rule, AlertKinds.Anomaly, AlertEntityKinds.Agent, "agent-x", title, "impossible travel", [id * 10],
        state, Now.AddMinutes(-5), "kavach-console", Now.AddMinutes(-1), state == AlertStates.Open ? "kavach-console" : "alice", null);

    /// <summary>The API's alert routes, in memory: list by state, get, idempotent enough raise, and state changes.</summary>
    private sealed class AlertsApi : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<long, AlertView> _alerts;
        private readonly SemaphoreSlim _raiseSeen = new(0);
        private FakeApi _server = default!;
        private int _raiseAttempts;

        private AlertsApi(AlertView[] alerts) => _alerts = new(alerts.ToDictionary(a => a.Id));

        public ConcurrentQueue<string> Changes { get; } = new();

        public ConcurrentQueue<AlertRaise> Raised { get; } = new();

        public int FailRaises { get; set; }

        public bool RejectRaises { get; set; }

        public int RaiseAttempts => Volatile.Read(ref _raiseAttempts);

        public Uri Address => _server.Address;

        public static async Task<AlertsApi> StartAsync(params AlertView[] alerts)
        {
            var api = new AlertsApi(alerts);
            api._server = await FakeApi.StartAsync(api.Map);
            return api;
        }

        public async Task WaitForRaisesAsync(int attempts)
        {
            while (RaiseAttempts < attempts)
            {
                Assert.IsTrue(await _raiseSeen.WaitAsync(WaitTimeout), $"waited for raise attempt {attempts}, saw {RaiseAttempts}");
            }
        }

        private void Map(WebApplication app)
        {
            app.MapGet(KavachRoutes.Alerts, (string? state) => Results.Json(new AlertPage(
                _alerts.Values.Where(a => state is null || a.State == state).OrderByDescending(a => a.Id).Select(a => a with { History = null }).ToList(),
                null), KavachJson.Options));
            app.MapGet(KavachRoutes.Alerts + "/{id:long}", (long id) =>
                _alerts.TryGetValue(id, out var a) ? Results.Json(a, KavachJson.Options) : Results.NotFound());
            app.MapPost(KavachRoutes.Alerts, async (HttpRequest request) =>
            {
                var raise = (await JsonSerializer.DeserializeAsync<AlertRaise>(request.Body, KavachJson.Options))!;
                try
                {
                    if (RejectRaises)
                    {
                        return Results.Problem(statusCode: 400, detail: $"evidence {raise.Evidence![0]} is not a stored event");
                    }

                    if (RaiseAttempts < FailRaises)
                    {
                        return Results.Problem(statusCode: 503, detail: "The database is unavailable");
                    }

                    Raised.Enqueue(raise);
                    var id = _alerts.Keys.DefaultIfEmpty(100).Max() + 1;
                    var alert = new AlertView(id, raise.Rule!, raise.Kind!, raise.EntityKind!, raise.Entity!, raise.Title!, raise.Detail, raise.Evidence!,
                        AlertStates.Open, Now, "kavach-console", Now, "kavach-console", null, raise.NotifyDestination);
                    _alerts[id] = alert;
                    return Results.Json(alert, KavachJson.Options, statusCode: 201);
                }
                finally
                {
                    Interlocked.Increment(ref _raiseAttempts);
                    _raiseSeen.Release();
                }
            });
            app.MapPost(KavachRoutes.Alerts + "/{id:long}/state", async (long id, HttpRequest request) =>
            {
                var change = (await JsonSerializer.DeserializeAsync<AlertStateChange>(request.Body, KavachJson.Options))!;
                Changes.Enqueue($"{id} {change.State} by {change.By}, note: {change.Note}");
                var alert = _alerts[id];
                var changed = alert with
                {
                    State = change.State!, ChangedBy = change.By!, ChangedAt = Now, Note = change.Note,
                    History = [.. alert.History ?? [], new AlertChange(change.State!, change.By!, "kavach-console", Now, change.Note)],
                };
                _alerts[id] = changed;
                return Results.Json(changed, KavachJson.Options);
            });
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    /// <summary>A bUnit context signed in with one role, with the console's alert services against the stand-in API, on a still clock.</summary>
    private sealed class ConsoleHarness : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        private ConsoleHarness(BunitContext context, ServiceProvider services)
        {
            Context = context;
            _services = services;
        }

        public BunitContext Context { get; }

        public FakeTimeProvider Clock => (FakeTimeProvider)_services.GetRequiredService<TimeProvider>();

        public AlertsWatcher Watcher => _services.GetRequiredService<AlertsWatcher>();

        public PendingRaises Raises => _services.GetRequiredService<PendingRaises>();

        public AlertRaiser Raiser => _services.GetRequiredService<AlertRaiser>();

        public static async Task<ConsoleHarness> StartAsync(AlertsApi api, string role, string name)
        {
            var context = new BunitContext();
            var authorization = context.AddAuthorization();
            authorization.SetAuthorized(name);
            authorization.SetRoles(role);
            authorization.SetPolicies(role == ConsoleRoles.Viewer ? [ConsolePolicies.View] : [ConsolePolicies.View, ConsolePolicies.Respond]);

            var services = new ServiceCollection()
                .AddSingleton<TimeProvider>(new FakeTimeProvider(Now))
                .AddSingleton(Microsoft.Extensions.Options.Options.Create(new AlertRulesOptions()))
                .AddScoped(_ => new AlertsClient(new HttpClient { BaseAddress = api.Address }))
                .AddSingleton<PendingRaises>()
                .AddSingleton<AlertsWatcher>()
                .AddSingleton<AlertRaiser>()
                .AddLogging()
                .BuildServiceProvider();
            // The still clock never ends the poll interval: reads happen at start and after each raise or change.
            await services.GetRequiredService<AlertsWatcher>().StartAsync(CancellationToken.None);

            context.Services.AddSingleton(services.GetRequiredService<AlertsWatcher>());
            context.Services.AddSingleton(services.GetRequiredService<PendingRaises>());
            context.Services.AddSingleton(services.GetRequiredService<TimeProvider>());
            context.Services.AddScoped(_ => new AlertsClient(new HttpClient { BaseAddress = api.Address }));
            context.Services.AddScoped<AlertActions>();
            context.JSInterop.Mode = JSRuntimeMode.Loose;
            return new ConsoleHarness(context, services);
        }

        public async ValueTask DisposeAsync()
        {
            await Raiser.StopAsync(CancellationToken.None);
            await Watcher.StopAsync(CancellationToken.None);
            await Context.DisposeAsync();
            await _services.DisposeAsync();
        }
    }
}
