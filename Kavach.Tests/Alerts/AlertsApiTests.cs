using System.Collections.Frozen;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;
using Kavach.Tests.Delivery;
using Kavach.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Kavach.Tests.Alerts;

/// <summary>
/// The alerts API against the running system (docs/api.md, "Alerts"; docs/console.md, "Alerts"): a raise, its
/// idempotence on overlapping evidence and within a burst rule's window, one alert from many concurrent raises on both
/// replicas, the lifecycle with who, when and a note in the history, paging newest first, and an alert's notification
/// reaching a real webhook receiver through the delivery engine.
/// </summary>
[TestClass]
public sealed class AlertsApiTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    private static IReadOnlyList<Uri> Replicas => KavachSystem.StreamApiReplicas;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>What the console holds: read the log, raise alerts and change their state.</summary>
    private static string ConsoleToken(string subject = "test-console") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Read, KavachScopes.AlertsWrite], TimeSpan.FromHours(1));

    private static HttpClient Console(int replica = 0, string subject = "test-console") =>
        new EventsClient(Replicas[replica % Replicas.Count], ConsoleToken(subject)).Http;

    private static async Task<long[]> EmitAsync(int count, string? agent = null)
    {
        using var emitter = new EventsClient(Replicas[0], Tokens.Emitter());
        var events = Enumerable.Range(0, count).Select(_ => EventsClient.Event("auth.failed", agent ?? Unique("agent"))).ToArray();
        return [.. (await emitter.EmitAsync(events)).Select(e => e.Sequence)];
    }

    private static JsonObject Raise(string rule, string entity, IEnumerable<long> evidence, int? window = null, Guid? notify = null)
    {
        var body = new JsonObject
        {
            ["rule"] = rule,
            ["kind"] = "burst",
            ["entityKind"] = AlertEntityKinds.User,
            ["entity"] = entity,
            ["title"] = $"auth.failed burst for {entity}",
            ["detail"] = "5 failures within 60 s",
            ["evidence"] = new JsonArray([.. evidence.Select(s => JsonValue.Create(s))]),
        };
        if (window is { } seconds)
        {
            body["dedupeWindowSeconds"] = seconds;
        }

        if (notify is { } destination)
        {
            body["notifyDestination"] = destination.ToString();
        }

        return body;
    }

    private static StringContent JsonContent(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, AlertView? Alert, string Text)> RaiseAsync(HttpClient client, JsonObject body)
    {
        using var response = await client.PostAsync(KavachRoutes.Alerts, JsonContent(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonSerializer.Deserialize<AlertView>(text, Json) : null, text);
    }

    private static async Task<AlertView> RaiseOkAsync(HttpClient client, JsonObject body, HttpStatusCode expected)
    {
        var (status, alert, text) = await RaiseAsync(client, body);
        Assert.AreEqual(expected, status, text);
        return alert!;
    }

    private static async Task<(HttpStatusCode Status, string Text)> ChangeAsync(HttpClient client, long id, string state, string by, string? note = null)
    {
        var body = new JsonObject { ["state"] = state, ["by"] = by };
        if (note is not null)
        {
            body["note"] = note;
        }

        using var response = await client.PostAsync($"{KavachRoutes.Alerts}/{id}/state", JsonContent(body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<AlertView> ChangeOkAsync(HttpClient client, long id, string state, string by, string? note = null)
    {
        var (status, text) = await ChangeAsync(client, id, state, by, note);
        Assert.AreEqual(HttpStatusCode.OK, status, text);
        return JsonSerializer.Deserialize<AlertView>(text, Json)!;
    }

    private static async Task<AlertView> GetAsync(HttpClient client, long id)
    {
        using var response = await client.GetAsync($"{KavachRoutes.Alerts}/{id}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        return JsonSerializer.Deserialize<AlertView>(text, Json)!;
    }

    private static async Task<AlertPage> ListAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"{KavachRoutes.Alerts}?{query}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        return JsonSerializer.Deserialize<AlertPage>(text, Json)!;
    }

    [TestMethod]
    public async Task ARaiseCreatesAnOpenAlertWithItsEvidenceAndWhoRaisedIt()
    {
        using var console = Console(subject: "console-a");
        var evidence = await EmitAsync(3);
        var user = Unique("user");

        var (status, alert, text) = await RaiseAsync(console, Raise("auth-failed-burst", user, evidence.Reverse().Append(evidence[0])));

        Assert.AreEqual(HttpStatusCode.Created, status, text);
        Assert.AreEqual("auth-failed-burst", alert!.Rule);
        Assert.AreEqual("burst", alert.Kind);
        Assert.AreEqual(AlertEntityKinds.User, alert.EntityKind);
        Assert.AreEqual(user, alert.Entity);
        Assert.AreEqual("5 failures within 60 s", alert.Detail);
        CollectionAssert.AreEqual(evidence, alert.Evidence.ToArray(), "evidence sorted, each sequence once");
        Assert.AreEqual(AlertStates.Open, alert.State);
        Assert.AreEqual("console-a", alert.RaisedBy);
        Assert.AreEqual("console-a", alert.ChangedBy);
        Assert.IsNull(alert.History, "a raise answers without the history");

        var read = await GetAsync(console, alert.Id);
        Assert.AreEqual(alert with { History = read.History, Evidence = read.Evidence }, read);
        var raised = read.History!.Single();
        Assert.AreEqual(AlertStates.Open, raised.State);
        Assert.AreEqual("console-a", raised.By);
        Assert.AreEqual("console-a", raised.Subject);
    }

    [TestMethod]
    public async Task ARaiseWithOverlappingEvidenceReturnsTheExistingAlertAndNeverReopensIt()
    {
        using var console = Console();
        using var other = Console(replica: 1, subject: "console-b");
        var evidence = await EmitAsync(4);
        var user = Unique("user");
        var first = await RaiseOkAsync(console, Raise("burst", user, evidence[..2]), HttpStatusCode.Created);
        await ChangeOkAsync(console, first.Id, AlertStates.Resolved, "alice", "false positive: a password manager retrying");

        var again = await RaiseOkAsync(other, Raise("burst", user, evidence[1..]), HttpStatusCode.OK);

        Assert.AreEqual(first.Id, again.Id);
        Assert.AreEqual(AlertStates.Resolved, again.State, "a repeated raise never reopens an alert");
        Assert.AreEqual("alice", again.ChangedBy);
        CollectionAssert.AreEqual(evidence[..2], again.Evidence.ToArray(), "nor changes its evidence");
        Assert.HasCount(2, (await GetAsync(console, first.Id)).History!);

        var disjoint = await RaiseOkAsync(console, Raise("burst", user, evidence[3..]), HttpStatusCode.Created);
        Assert.AreNotEqual(first.Id, disjoint.Id, "evidence that does not overlap, without a window, is a new alert");
        var otherRule = await RaiseOkAsync(console, Raise("another-rule", user, evidence[..2]), HttpStatusCode.Created);
        Assert.AreNotEqual(first.Id, otherRule.Id, "the same evidence under another rule is another alert");
    }

    [TestMethod]
    public async Task ABurstRuleRaisedAgainWithinItsWindowReturnsTheExistingAlertAndANewOneOnceTheWindowPassed()
    {
        using var console = Console();
        var evidence = await EmitAsync(6);
        var user = Unique("user");
        var first = await RaiseOkAsync(console, Raise("burst", user, evidence[..2], window: 600), HttpStatusCode.Created);

        var within = await RaiseOkAsync(console, Raise("burst", user, evidence[2..4], window: 600), HttpStatusCode.OK);
        Assert.AreEqual(first.Id, within.Id);
        var otherUser = await RaiseOkAsync(console, Raise("burst", Unique("user"), evidence[2..4], window: 600), HttpStatusCode.Created);
        Assert.AreNotEqual(first.Id, otherUser.Id, "the window is per entity");

        // A one-second window: asked again until a raise comes after it, each earlier one answering the same alert.
        var short1 = await RaiseOkAsync(console, Raise("short-burst", user, evidence[..1], window: 1), HttpStatusCode.Created);
        using var timeout = new CancellationTokenSource(Generous);
        while (true)
        {
            var (status, alert, text) = await RaiseAsync(console, Raise("short-burst", user, evidence[4..], window: 1));
            if (status == HttpStatusCode.Created)
            {
                Assert.AreNotEqual(short1.Id, alert!.Id);
                break;
            }

            Assert.AreEqual(HttpStatusCode.OK, status, text);
            Assert.AreEqual(short1.Id, alert!.Id);
            Assert.IsFalse(timeout.IsCancellationRequested, "no new alert after a one-second window");
            await Task.Delay(100, CancellationToken.None);
        }
    }

    [TestMethod]
    public async Task ConcurrentRaisesFromSeveralConsolesOnBothReplicasMakeOneAlert()
    {
        var evidence = await EmitAsync(5);
        var user = Unique("user");
        var consoles = Enumerable.Range(0, 12).Select(i => Console(replica: i, subject: $"console-{i}")).ToList();
        try
        {
            var raises = await Task.WhenAll(consoles.Select((console, i) =>
                RaiseAsync(console, Raise("burst", user, evidence.Skip(i % 3).Take(3), window: 600))));

            Assert.IsTrue(raises.All(r => r.Status is HttpStatusCode.Created or HttpStatusCode.OK), string.Join("\n", raises.Select(r => r.Text)));
            Assert.AreEqual(1, raises.Count(r => r.Status == HttpStatusCode.Created), "exactly one raise creates it");
            Assert.AreEqual(1, raises.Select(r => r.Alert!.Id).Distinct().Count(), "every raise answers the same alert");
            var listed = await ListAsync(consoles[0], $"rule=burst&entityKind=userId&entity={user}");
            Assert.HasCount(1, listed.Alerts);
            Assert.HasCount(1, (await GetAsync(consoles[0], listed.Alerts[0].Id)).History!, "one raise in its history");
        }
        finally
        {
            consoles.ForEach(c => c.Dispose());
        }
    }

    [TestMethod]
    public async Task EachChangeIsRecordedWithWhoWhenAndTheNoteAndIllegalChangesAreRefused()
    {
        using var console = Console(subject: "console-a");
        using var other = Console(replica: 1, subject: "console-b");
        var alert = await RaiseOkAsync(console, Raise("burst", Unique("user"), await EmitAsync(2)), HttpStatusCode.Created);

        var acknowledged = await ChangeOkAsync(console, alert.Id, AlertStates.Acknowledged, "alice", "looking into it");
        Assert.AreEqual(AlertStates.Acknowledged, acknowledged.State);
        Assert.AreEqual("alice", acknowledged.ChangedBy);
        Assert.AreEqual("looking into it", acknowledged.Note);
        Assert.HasCount(2, acknowledged.History!);

        var (again, againText) = await ChangeAsync(other, alert.Id, AlertStates.Acknowledged, "bob");
        Assert.AreEqual(HttpStatusCode.Conflict, again, againText);
        StringAssert.Contains(againText, "acknowledged");
        StringAssert.Contains(againText, "alice");

        await ChangeOkAsync(other, alert.Id, AlertStates.Resolved, "bob", "user locked out, password reset\nticket 4711");
        var (backToAck, backText) = await ChangeAsync(console, alert.Id, AlertStates.Acknowledged, "alice");
        Assert.AreEqual(HttpStatusCode.Conflict, backToAck, backText);
        await ChangeOkAsync(console, alert.Id, AlertStates.Open, "carol");

        var read = await GetAsync(other, alert.Id);
        Assert.AreEqual(AlertStates.Open, read.State);
        Assert.AreEqual("carol", read.ChangedBy);
        Assert.IsNull(read.Note, "a change without a note clears the last one");
        var history = read.History!;
        CollectionAssert.AreEqual(
            new[] { "open by console-a (console-a): ", "acknowledged by alice (console-a): looking into it",
                "resolved by bob (console-b): user locked out, password reset\nticket 4711", "open by carol (console-a): " },
            history.Select(c => $"{c.State} by {c.By} ({c.Subject}): {c.Note}").ToArray());
        for (var i = 1; i < history.Count; i++)
        {
            Assert.IsTrue(history[i].At >= history[i - 1].At, "the history is in order of time");
        }

        Assert.AreEqual(history[^1].At, read.ChangedAt);
        Assert.AreEqual(history[0].At, read.RaisedAt);
    }

    [TestMethod]
    public async Task ListsPageNewestFirstByTheirFiltersAndEachAlertOnce()
    {
        using var console = Console();
        var rule = Unique("rule");
        var evidence = await EmitAsync(5);
        var raised = new List<AlertView>();
        foreach (var sequence in evidence)
        {
            raised.Add(await RaiseOkAsync(console, Raise(rule, Unique("user"), [sequence]), HttpStatusCode.Created));
        }

        await ChangeOkAsync(console, raised[1].Id, AlertStates.Acknowledged, "alice");

        var seen = new List<long>();
        var pages = 0;
        string? before = null;
        do
        {
            var page = await ListAsync(console, $"rule={rule}&limit=2{(before is null ? "" : $"&before={before}")}");
            Assert.IsLessThanOrEqualTo(2, page.Alerts.Count);
            seen.AddRange(page.Alerts.Select(a => a.Id));
            Assert.IsTrue(page.Alerts.All(a => a.History is null), "lists carry no history");
            before = page.Next?.ToString(System.Globalization.CultureInfo.InvariantCulture);
            pages++;
        }
        while (before is not null);

        CollectionAssert.AreEqual(raised.Select(a => a.Id).Reverse().ToList(), seen, "newest first, each once");
        Assert.AreEqual(3, pages);
        var acknowledged = await ListAsync(console, $"rule={rule}&state=acknowledged");
        Assert.AreEqual(raised[1].Id, acknowledged.Alerts.Single().Id);
        var one = await ListAsync(console, $"entityKind=userId&entity={raised[3].Entity}");
        Assert.AreEqual(raised[3].Id, one.Alerts.Single().Id);
    }

    [TestMethod]
    public async Task BadRequestsAreRefusedWithTheFieldAndNothingIsStored()
    {
        using var console = Console();
        var rule = Unique("rule");
        var evidence = await EmitAsync(1);
        var cases = new (string Name, JsonObject Body, HttpStatusCode Status, string Says)[]
        {
            ("no evidence", Raise(rule, "u", []), HttpStatusCode.BadRequest, "evidence"),
            ("too much evidence", Raise(rule, "u", Enumerable.Range(1, AlertLimits.EvidenceCount + 1).Select(i => (long)i)), HttpStatusCode.BadRequest, "evidence"),
            ("an unknown entity kind", WithField(Raise(rule, "u", evidence), "entityKind", "tenant"), HttpStatusCode.BadRequest, "entityKind"),
            ("a control character in the entity", Raise(rule, "u\u0000", evidence), HttpStatusCode.BadRequest, "entity"),
            ("a title too long", WithField(Raise(rule, "u", evidence), "title", new string('t', AlertLimits.TitleLength + 1)), HttpStatusCode.BadRequest, "title"),
            ("an unknown field", WithField(Raise(rule, "u", evidence), "severity", "high"), HttpStatusCode.BadRequest, "severity"),
            ("a window of zero", Raise(rule, "u", evidence, window: 0), HttpStatusCode.BadRequest, "dedupeWindowSeconds"),
            ("evidence not in the log", Raise(rule, "u", [evidence[0], long.MaxValue - 7]), HttpStatusCode.UnprocessableEntity, $"{long.MaxValue - 7}"),
            ("an unknown destination", Raise(rule, "u", evidence, notify: Guid.NewGuid()), HttpStatusCode.UnprocessableEntity, "notifyDestination"),
        };
        foreach (var (name, body, expected, says) in cases)
        {
            var (status, _, text) = await RaiseAsync(console, body);
            Assert.AreEqual(expected, status, $"{name}: {text}");
            StringAssert.Contains(text, says, name);
        }

        Assert.IsEmpty((await ListAsync(console, $"rule={rule}")).Alerts, "nothing was stored");

        var alert = await RaiseOkAsync(console, Raise(rule, "u", evidence), HttpStatusCode.Created);
        var (noBy, noByText) = await ChangeAsync(console, alert.Id, AlertStates.Acknowledged, "");
        Assert.AreEqual(HttpStatusCode.BadRequest, noBy, noByText);
        StringAssert.Contains(noByText, "\"by\"");
        var (longNote, longNoteText) = await ChangeAsync(console, alert.Id, AlertStates.Acknowledged, "alice", new string('n', AlertLimits.NoteLength + 1));
        Assert.AreEqual(HttpStatusCode.BadRequest, longNote, longNoteText);
        var (unknownState, unknownText) = await ChangeAsync(console, alert.Id, "closed", "alice");
        Assert.AreEqual(HttpStatusCode.BadRequest, unknownState, unknownText);
        var (missing, missingText) = await ChangeAsync(console, long.MaxValue, AlertStates.Acknowledged, "alice");
        Assert.AreEqual(HttpStatusCode.NotFound, missing, missingText);
        Assert.AreEqual(AlertStates.Open, (await GetAsync(console, alert.Id)).State, "refused changes changed nothing");
        Assert.HasCount(1, (await GetAsync(console, alert.Id)).History!);

        using var badQuery = await console.GetAsync($"{KavachRoutes.Alerts}?state=closed");
        Assert.AreEqual(HttpStatusCode.BadRequest, badQuery.StatusCode);
        using var badLimit = await console.GetAsync($"{KavachRoutes.Alerts}?limit={AlertLimits.PageSize + 1}");
        Assert.AreEqual(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    [TestMethod]
    public async Task TheOpenApiDescriptionListsEveryAlertRouteWithItsBody()
    {
        using var reader = new EventsClient(Replicas[0], Tokens.Reader());
        var paths = (await reader.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            (KavachRoutes.Alerts, "get"), (KavachRoutes.Alerts, "post"), ($"{KavachRoutes.Alerts}/{{id}}", "get"), ($"{KavachRoutes.Alerts}/{{id}}/state", "post"),
        })
        {
            Assert.IsTrue(paths.TryGetProperty(path, out var item), path);
            Assert.IsTrue(item.TryGetProperty(method, out var operation), $"{method} {path}");
            Assert.IsFalse(string.IsNullOrEmpty(operation.GetProperty("summary").GetString()), $"{method} {path} has a summary");
            Assert.AreEqual(method == "post", operation.TryGetProperty("requestBody", out _), $"{method} {path}: a body exactly when it takes one");
        }
    }

    private static JsonObject WithField(JsonObject body, string name, JsonNode? value)
    {
        body[name] = value;
        return body;
    }

    [TestMethod]
    public async Task ARaisedAlertNamingAWebhookReachesItSignedOnceThroughTheDeliveryEngine()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, new Dictionary<string, string?>
        {
            ["Kavach:Delivery:AllowedPrivateTargets:0"] = "127.0.0.0/8",
            ["Kavach:Delivery:LeaseDuration"] = "00:00:06",
            ["Kavach:Delivery:FirstRetry"] = "00:00:00.200",
            ["Kavach:Delivery:MaxBackoff"] = "00:00:01",
            ["Kavach:Delivery:Timeout"] = "00:00:02",
        });
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var failedOnce = 0;
        receiver.Answer = _ => Task.FromResult(Interlocked.Exchange(ref failedOnce, 1) == 0 ? 503 : 204);
        var destination = await CreateWebhookAsync(host, receiver.Url, secret);
        try
        {
            using var console = Console();
            var user = Unique("user");
            var evidence = await EmitAsync(2);
            var alert = await RaiseOkAsync(console, Raise("burst", user, evidence, notify: destination), HttpStatusCode.Created);
            Assert.AreEqual(destination, alert.NotifyDestination);

            var delivered = await receiver.WaitForAsync(r => r.Answered == 204, Generous, "the alert's notification");

            Assert.AreEqual($"alert-raised-{alert.Id}", delivered.Id);
            Assert.IsTrue(delivered.SignatureValid, "signed with the webhook's secret");
            Assert.AreEqual(AlertMessageKinds.Raised, delivered.Json.GetProperty("kind").GetString());
            var sent = delivered.Json.GetProperty("alert").Deserialize<AlertView>(Json)!;
            Assert.AreEqual(alert.Id, sent.Id);
            Assert.AreEqual(user, sent.Entity);
            CollectionAssert.AreEqual(evidence, sent.Evidence.ToArray());
            Assert.IsTrue(receiver.Received.Take(receiver.Received.Count - 1).All(r => r.Id == delivered.Id && r.Answered == 503),
                "the refused attempt was the same message, tried again");

            // The engine removes the message once it has the receiver's answer, a moment after the receiver saw it.
            using (var removed = new CancellationTokenSource(Generous))
            {
                while (await OutboxCountAsync(host, destination) > 0)
                {
                    Assert.IsFalse(removed.IsCancellationRequested, "the delivered message left the outbox");
                    await Task.Delay(50, CancellationToken.None);
                }
            }

            var repeat = await RaiseOkAsync(console, Raise("burst", user, evidence, notify: destination), HttpStatusCode.OK);
            Assert.AreEqual(alert.Id, repeat.Id);
            Assert.AreEqual(0L, await OutboxCountAsync(host, destination), "a repeated raise sends nothing again");
        }
        finally
        {
            await host.Services.GetRequiredService<DestinationStore>().DeleteAsync(destination, CancellationToken.None);
        }
    }

    [TestMethod]
    public async Task ARaiseNamingAnSsfStreamOrADisabledWebhookIsRefusedAndStoresNothing()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, new Dictionary<string, string?> { ["Kavach:Delivery:Enabled"] = "false" });
        var store = host.Services.GetRequiredService<DestinationStore>();
        var nobody = new ReadGrant(null, FrozenSet<string>.Empty, null);
        var disabled = await store.CreateAsync(new NewDestination(DestinationKind.Webhook, new Uri("https://203.0.113.10/hook"), "alerts test", null,
            nobody, null, "tests", State: DestinationState.Disabled), CancellationToken.None);
        var ssf = await store.CreateAsync(new NewDestination(DestinationKind.Ssf, null, "alerts test", null, nobody, null, "tests"), CancellationToken.None);
        try
        {
            using var console = Console();
            var rule = Unique("rule");
            var evidence = await EmitAsync(1);
            foreach (var (destination, says) in new[] { (disabled.Id, "disabled"), (ssf.Id, "SSF") })
            {
                var (status, _, text) = await RaiseAsync(console, Raise(rule, "u", evidence, notify: destination));
                Assert.AreEqual(HttpStatusCode.UnprocessableEntity, status, text);
                StringAssert.Contains(text, says);
                Assert.AreEqual(0L, await OutboxCountAsync(host, destination));
            }

            Assert.IsEmpty((await ListAsync(console, $"rule={rule}")).Alerts);
        }
        finally
        {
            await store.DeleteAsync(disabled.Id, CancellationToken.None);
            await store.DeleteAsync(ssf.Id, CancellationToken.None);
        }
    }

    /// <summary>A webhook that receives no event of the log (its grant admits nobody): only what is put in its outbox.</summary>
    private static async Task<Guid> CreateWebhookAsync(StreamApiHost host, Uri url, string secret)
    {
        var store = host.Services.GetRequiredService<DestinationStore>();
        var created = await store.CreateAsync(new NewDestination(DestinationKind.Webhook, url, "alerts test", null,
            new ReadGrant(null, FrozenSet<string>.Empty, null), null, "tests", State: DestinationState.Paused), CancellationToken.None);
        await using (var insert = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "INSERT INTO kavach_webhook_secrets (destination, id, secret) VALUES ($1, $2, $3)"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = created.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = "s1" });
            insert.Parameters.Add(new NpgsqlParameter { Value = secret });
            await insert.ExecuteNonQueryAsync();
        }

        await store.SetStateAsync(created.Id, DestinationState.Enabled, null, skipToHead: false, CancellationToken.None);
        return created.Id;
    }

    private static async Task<long> OutboxCountAsync(StreamApiHost host, Guid destination)
    {
        await using var command = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "SELECT count(*) FROM kavach_destination_outbox WHERE destination = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = destination });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
