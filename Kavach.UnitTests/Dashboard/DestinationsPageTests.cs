using System.Collections.Concurrent;
using System.Text.Json;
using Bunit;
using Kavach.Contracts;
using Kavach.Dashboard.Components.Controls;
using Kavach.Dashboard.Components.Pages;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Destinations;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// The destinations page and its alert (bUnit), against a small real HTTP server standing in for the API's destination
/// routes: what a row shows, what each action posts, what a refusal shows, and the banner a retry-horizon pause raises.
/// </summary>
[TestClass]
public sealed class DestinationsPageTests
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Hook = Guid.Parse("1b0c5b8e-7f55-4a8a-9b9e-3c1f0d2a4e61");
    private static readonly Guid Stream = Guid.Parse("9d2e4f60-1a3b-4c5d-8e7f-a0b1c2d3e4f5");

    [TestMethod]
    public async Task EachDestinationShowsItsStateLagAndLastErrorWithoutTheSecretsInItsUrl()
    {
        await using var api = await DestinationsApi.StartAsync(
            Webhook(Hook, "https://ops:hunter2@hooks.example.com:8443/in?token=s3cret&v=2#frag") with
            {
                Cursor = 480, Head = 500, Lag = 20, OldestUndeliveredAt = Now.AddSeconds(-42), Attempts = 3,
                FailingSince = Now.AddMinutes(-4), NextAttemptAt = Now.AddSeconds(20), LastError = "503 Service Unavailable",
                LastErrorAt = new DateTimeOffset(2026, 12, 7, 11, 59, 30, TimeSpan.Zero), LastSuccessAt = Now.AddMinutes(-5), Delivered = 480,
            },
            HorizonPaused(Stream));
        await using var console = await ConsoleHarness.StartAsync(api);
        var cut = console.Context.Render<Destinations>();

        cut.WaitForAssertion(() => Assert.HasCount(2, cut.FindAll("tbody tr")), WaitTimeout);
        var hook = cut.Find($"tr[data-id='{Hook}']");
        Assert.AreEqual("https://hooks.example.com:8443/in?token=…&v=…#…", hook.QuerySelector("[data-testid=destination-url]")!.TextContent);
        Assert.DoesNotContain("hunter2", cut.Markup);
        Assert.DoesNotContain("s3cret", cut.Markup);
        Assert.AreEqual("enabled", hook.QuerySelector("[data-testid=destination-state]")!.TextContent);
        Assert.AreEqual("20 events", hook.QuerySelector("[data-testid=destination-lag]")!.TextContent);
        StringAssert.Contains(hook.TextContent, "oldest 42 s");
        Assert.AreEqual("480", hook.QuerySelector("[data-testid=destination-delivered]")!.TextContent);
        StringAssert.Contains(hook.QuerySelector("[data-testid=destination-attempts]")!.TextContent, "3 failed attempts, failing for 4 min");
        Assert.AreEqual("503 Service Unavailable", hook.QuerySelector("[data-testid=destination-error]")!.TextContent);
        StringAssert.Contains(hook.TextContent, "2026-12-07 11:59:30 UTC");
        StringAssert.Contains(hook.TextContent, "in 20 s");
        StringAssert.Contains(hook.TextContent, "5 min ago");
        Assert.IsNotNull(hook.QuerySelector("[data-testid=pause]"), "an enabled destination can be paused");

        var stream = cut.Find($"tr[data-id='{Stream}']");
        StringAssert.Contains(stream.TextContent, "SSF stream");
        Assert.AreEqual("paused", stream.QuerySelector("[data-testid=destination-state]")!.TextContent);
        StringAssert.StartsWith(stream.QuerySelector("[data-testid=destination-reason]")!.TextContent, "retry horizon reached");
        Assert.IsNotNull(stream.QuerySelector("[data-testid=resume]"), "a paused destination can be resumed");
        Assert.AreEqual("2 destinations, 1 enabled", cut.Find("caption").TextContent);
    }

    [TestMethod]
    public async Task AViewerSeesTheDestinationsButNoActions()
    {
        await using var api = await DestinationsApi.StartAsync(Webhook(Hook, "https://hooks.example.com/in"), HorizonPaused(Stream));
        await using var console = await ConsoleHarness.StartAsync(api);
        console.SignedIn.SetAuthorized("carol");
        console.SignedIn.SetPolicies(Kavach.Dashboard.Access.ConsolePolicies.View);
        var cut = console.Context.Render<Destinations>();

        cut.WaitForAssertion(() => Assert.HasCount(2, cut.FindAll("[data-testid=admin-only]")), WaitTimeout);
        Assert.IsEmpty(cut.FindAll("[data-testid=pause], [data-testid=resume], [data-testid=redeliver]"));
        Assert.IsEmpty(api.Posts);
    }

    [TestMethod]
    public async Task PausingAsksWhyPostsTheReasonAndShowsTheAnswer()
    {
        await using var api = await DestinationsApi.StartAsync(Webhook(Hook, "https://hooks.example.com/in"));
        await using var console = await ConsoleHarness.StartAsync(api);
        var cut = console.Context.Render<Destinations>();
        cut.WaitForAssertion(() => cut.Find($"tr[data-id='{Hook}'] [data-testid=pause]"), WaitTimeout);

        await cut.Find("[data-testid=pause]").ClickAsync();
        Assert.AreEqual("true", cut.Find("[data-testid=pause]").GetAttribute("aria-expanded"));
        await cut.Find("[data-testid=pause-reason]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "receiver maintenance" });
        await cut.Find("[data-testid=pause-form]").SubmitAsync();

        Assert.AreEqual($"pause {Hook} {{\"reason\":\"receiver maintenance\"}}", api.Posts.Single());
        cut.WaitForAssertion(() =>
        {
            Assert.AreEqual("paused", cut.Find("[data-testid=destination-state]").TextContent);
            Assert.AreEqual("receiver maintenance", cut.Find("[data-testid=destination-reason]").TextContent);
            StringAssert.Contains(cut.Find("[data-testid=action-outcome]").TextContent, "paused");
        }, WaitTimeout);
        Assert.IsEmpty(cut.FindAll("[data-testid=pause-form]"), "the form closes once the API took it");
    }

    [TestMethod]
    public async Task ResumingAndRedeliveringPostToTheApiAndARefusalSaysWhy()
    {
        await using var api = await DestinationsApi.StartAsync(HorizonPaused(Stream));
        await using var console = await ConsoleHarness.StartAsync(api);
        var cut = console.Context.Render<Destinations>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=resume]"), WaitTimeout);

        await cut.Find("[data-testid=resume]").ClickAsync();
        cut.WaitForAssertion(() => Assert.AreEqual("enabled", cut.Find("[data-testid=destination-state]").TextContent), WaitTimeout);

        await cut.Find("[data-testid=redeliver]").ClickAsync();
        Assert.AreEqual("300", cut.Find("[data-testid=redeliver-from]").GetAttribute("value"), "offered from the cursor");
        await cut.Find("[data-testid=redeliver-from]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "9999" });
        await cut.Find("[data-testid=redeliver-form]").SubmitAsync();
        cut.WaitForAssertion(() => StringAssert.Contains(cut.Find("[data-testid=action-error]").TextContent, "fromSequence must be at most 501"), WaitTimeout);
        Assert.IsNotNull(cut.Find("[data-testid=redeliver-form]"), "the form stays open to correct it");

        await cut.Find("[data-testid=redeliver-from]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "40" });
        await cut.Find("[data-testid=redeliver-form]").SubmitAsync();
        cut.WaitForAssertion(() => StringAssert.Contains(cut.Find("[data-testid=action-outcome]").TextContent, "from #40"), WaitTimeout);
        Assert.IsEmpty(cut.FindAll("[data-testid=action-error]"));

        CollectionAssert.AreEqual(new[]
        {
            $"resume {Stream} ",
            $"redeliver {Stream} {{\"fromSequence\":9999}}",
            $"redeliver {Stream} {{\"fromSequence\":40}}",
        }, api.Posts.ToArray());
    }

    [TestMethod]
    public async Task APauseByTheRetryHorizonRaisesABannerUntilAcknowledged()
    {
        await using var api = await DestinationsApi.StartAsync(Webhook(Hook, "https://hooks.example.com/in"), HorizonPaused(Stream));
        await using var console = await ConsoleHarness.StartAsync(api);
        var banner = console.Context.Render<DestinationAlert>();

        banner.WaitForAssertion(() =>
        {
            var alert = banner.Find($"[data-testid=destination-alert] [data-id='{Stream}']");
            StringAssert.Contains(alert.TextContent, "Push destination paused: SIEM");
            StringAssert.Contains(alert.TextContent, "retry horizon reached");
            StringAssert.Contains(alert.TextContent, "last error: 500 Internal Server Error");
        }, WaitTimeout);
        Assert.AreEqual("alert", banner.Find("[data-testid=destination-alert]").GetAttribute("role"));
        Assert.HasCount(1, banner.FindAll(".alert"), "an enabled destination raises nothing");

        await banner.Find("[data-testid=destination-alert] button").ClickAsync();
        banner.WaitForAssertion(() => Assert.IsEmpty(banner.FindAll("[data-testid=destination-alert]")), WaitTimeout);
    }

    [TestMethod]
    public void AnAcknowledgementLastsAsLongAsThatPause()
    {
        var paused = HorizonPaused(Stream);
        var state = DestinationsWatcher.Apply(DestinationsState.Unknown, [paused], Now);
        state = state with { Acknowledged = state.Acknowledged.Add(DestinationStatus.AlertKey(paused)) };
        Assert.IsEmpty(state.OpenAlerts);

        state = DestinationsWatcher.Apply(state, [paused], Now.AddSeconds(5));
        Assert.IsEmpty(state.OpenAlerts, "still the same pause");

        state = DestinationsWatcher.Apply(state, [paused with { State = "enabled", StateReason = null }], Now.AddSeconds(10));
        state = DestinationsWatcher.Apply(state, [paused with { FailingSince = Now.AddDays(1) }], Now.AddDays(4));
        Assert.HasCount(1, state.OpenAlerts, "resumed, then paused by the horizon again: a new alert");

        var byHand = paused with { StateReason = "receiver maintenance" };
        Assert.IsEmpty(DestinationsWatcher.Apply(DestinationsState.Unknown, [byHand], Now).OpenAlerts, "a pause by hand is no alert");
    }

    [TestMethod]
    [DataRow("https://hooks.example.com/in", "https://hooks.example.com/in")]
    [DataRow("https://user:pass@hooks.example.com/in?sig=abc", "https://hooks.example.com/in?sig=…")]
    [DataRow("http://127.0.0.1:9000/sink/7?a=1&b&c=3", "http://127.0.0.1:9000/sink/7?a=…&b=…&c=…")]
    [DataRow("https://[::1]:8443/x#token=abc", "https://[::1]:8443/x#…")]
    [DataRow(null, "—")]
    public void AUrlIsShownWithoutUserInfoQueryValuesOrFragment(string? url, string shown) =>
        Assert.AreEqual(shown, DestinationStatus.DisplayUrl(url));

    private static DestinationView Webhook(Guid id, string url) => new(
        id, "webhook", url, null, null, new DestinationGrant(), "enabled", null, Cursor: 500, Head: 500, Lag: 0,
        OldestUndeliveredAt: null, Attempts: 0, FailingSince: null, NextAttemptAt: null, LastError: null, LastErrorAt: null,
        LastSuccessAt: Now.AddSeconds(-3), Delivered: 500, CreatedBy: "admin", CreatedAt: Now.AddDays(-7));

    private static DestinationView HorizonPaused(Guid id) => new(
        id, "ssf", "https://siem.example.com/ssf/push", "SIEM", null, new DestinationGrant(), "paused",
        "retry horizon reached: failing since 2026-12-04 12:00:00Z", Cursor: 300, Head: 500, Lag: 200,
        OldestUndeliveredAt: Now.AddDays(-3), Attempts: 41, FailingSince: Now.AddDays(-3), NextAttemptAt: null,
        LastError: "500 Internal Server Error", LastErrorAt: Now.AddHours(-1), LastSuccessAt: Now.AddDays(-3), Delivered: 300,
        CreatedBy: "receiver", CreatedAt: Now.AddDays(-10));

    /// <summary>The API's destination routes as the console calls them, recording each action's body.</summary>
    private sealed class DestinationsApi : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<Guid, DestinationView> _destinations;
        private FakeApi _server = default!;

        private DestinationsApi(DestinationView[] destinations) =>
            _destinations = new(destinations.ToDictionary(d => d.Id));

        public ConcurrentQueue<string> Posts { get; } = new();

        public Uri Address => _server.Address;

        public static async Task<DestinationsApi> StartAsync(params DestinationView[] destinations)
        {
            var api = new DestinationsApi(destinations);
            api._server = await FakeApi.StartAsync(api.Map);
            return api;
        }

        private void Map(WebApplication app)
        {
            app.MapGet(KavachRoutes.Destinations, () => Results.Json(
                new DestinationList(_destinations.Values.OrderBy(d => d.CreatedAt).ToList()), KavachJson.Options));
            app.MapPost(KavachRoutes.Destinations + "/{id:guid}/{action}", async (Guid id, string action, HttpRequest request) =>
            {
                var body = await new StreamReader(request.Body).ReadToEndAsync();
                Posts.Enqueue($"{action} {id} {(body == "null" ? "" : body)}");
                if (!_destinations.TryGetValue(id, out var d))
                {
                    return Results.Problem(statusCode: 404, title: "No such destination");
                }

                var changed = action switch
                {
                    "pause" => d with { State = "paused", StateReason = JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString() },
                    "resume" => d with { State = "enabled", StateReason = null, Attempts = 0, FailingSince = null },
                    "redeliver" when JsonDocument.Parse(body).RootElement.GetProperty("fromSequence").GetInt64() is var from && from <= d.Head + 1 =>
                        d with { Cursor = from - 1, Lag = d.Head - from + 1 },
                    "redeliver" => null,
                    _ => d,
                };
                if (changed is null)
                {
                    return Results.Problem(statusCode: 400, title: "Cannot redeliver from there",
                        detail: $"fromSequence must be at most {d.Head + 1} (the head + 1).");
                }

                _destinations[id] = changed;
                return Results.Json(changed, KavachJson.Options);
            });
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    /// <summary>A bUnit context with the console's destinations watcher running against the stand-in API, on a still clock.</summary>
    private sealed class ConsoleHarness : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        private ConsoleHarness(BunitContext context, ServiceProvider services, DestinationsWatcher watcher, Bunit.TestDoubles.BunitAuthorizationContext signedIn)
        {
            Context = context;
            _services = services;
            Watcher = watcher;
            SignedIn = signedIn;
        }

        public BunitContext Context { get; }

        /// <summary>Who the page renders for; a test narrows the policies to play a viewer.</summary>
        public Bunit.TestDoubles.BunitAuthorizationContext SignedIn { get; }

        public DestinationsWatcher Watcher { get; }

        public static async Task<ConsoleHarness> StartAsync(DestinationsApi api)
        {
            var client = new DestinationsClient(new HttpClient { BaseAddress = api.Address });
            var clock = new FakeTimeProvider(Now);
            var services = new ServiceCollection().AddScoped(_ => client).BuildServiceProvider();
            // The still clock never ends the interval: reads happen at start, when the page opens and after each action.
            var watcher = new DestinationsWatcher(services.GetRequiredService<IServiceScopeFactory>(),
                Microsoft.Extensions.Options.Options.Create(new StreamApiOptions()), clock, NullLogger<DestinationsWatcher>.Instance);
            await watcher.StartAsync(CancellationToken.None);

            var context = new BunitContext();
            context.Services.AddSingleton(watcher);
            context.Services.AddSingleton(client);
            context.Services.AddSingleton<TimeProvider>(clock);
            context.JSInterop.Mode = JSRuntimeMode.Loose;
            // An admin, unless a test says otherwise: the actions are theirs alone.
            var signedIn = context.AddAuthorization();
            signedIn.SetAuthorized("alice");
            signedIn.SetPolicies(Kavach.Dashboard.Access.ConsolePolicies.View, Kavach.Dashboard.Access.ConsolePolicies.Respond,
                Kavach.Dashboard.Access.ConsolePolicies.Administer);
            return new ConsoleHarness(context, services, watcher, signedIn);
        }

        public async ValueTask DisposeAsync()
        {
            await Watcher.StopAsync(CancellationToken.None);
            Watcher.Dispose();
            await Context.DisposeAsync();
            await _services.DisposeAsync();
        }
    }
}
