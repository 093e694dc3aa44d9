using System.Collections.Frozen;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Apis;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;

namespace Kavach.UnitTests.StreamApi.Delivery;

/// <summary>The webhook request's rules, the secrets' form and a destination's view, without a server.</summary>
[TestClass]
public sealed class WebhookRequestChecksTests
{
    private static readonly WebhookRequestChecks Production = new(new TargetPolicy(["127.0.0.1/32"], plainHttpAnywhere: false));

    [TestMethod]
    [DataRow("https://203.0.113.10/hook", null)]
    [DataRow("http://127.0.0.1:9999/hook", null)]
    [DataRow(null, "Required")]
    [DataRow("  ", "Required")]
    [DataRow("/hook", "absolute")]
    [DataRow("hook", "absolute")]
    [DataRow("ftp://203.0.113.10/hook", "https")]
    [DataRow("http://203.0.113.10/hook", "https")]
    [DataRow("https://user:pw@203.0.113.10/hook", "credentials")]
    [DataRow("https://203.0.113.10/hook#x", "fragment")]
    [DataRow("https://127.0.0.2/hook", "loopback")]
    [DataRow("https://169.254.169.254/latest", "link-local")]
    [DataRow("https://[::1]/hook", "loopback")]
    [DataRow("https://10.0.0.1/hook", "private")]
    public async Task AUrlMustBeHttpsAndReachable(string? url, string? refusal)
    {
        var (checkedUrl, error) = await Production.CheckUrlAsync(url, CancellationToken.None);
        if (refusal is null)
        {
            Assert.IsNull(error, error);
            Assert.AreEqual(url, checkedUrl!.ToString());
        }
        else
        {
            Assert.IsNull(checkedUrl);
            StringAssert.Contains(error, refusal);
        }
    }

    [TestMethod]
    public async Task AHostTheResolverRefusesIsA400NotAnException()
    {
        var host = string.Join('.', Enumerable.Repeat(new string('h', 60), 5));
        var (url, error) = await Production.CheckUrlAsync($"https://{host}/hook", CancellationToken.None);
        Assert.IsNull(url);
        StringAssert.Contains(error, "not a host name");
    }

    [TestMethod]
    public void EventTypesAreKnownEachOnceAndNeverEmpty()
    {
        Assert.AreEqual((null, null), WebhookRequestChecks.CheckEventTypes(null));
        CollectionAssert.AreEqual(new[] { "audit", "agent.revoked" },
            WebhookRequestChecks.CheckEventTypes(["audit", "agent.revoked", "audit"]).Types!.ToArray());
        StringAssert.Contains(WebhookRequestChecks.CheckEventTypes([]).Error, "at least one type");
        StringAssert.Contains(WebhookRequestChecks.CheckEventTypes(["audit", "Audit"]).Error, "'Audit' is not an event type");
        StringAssert.Contains(WebhookRequestChecks.CheckEventTypes(["audit", null!]).Error, "'null' is not an event type");
    }

    [TestMethod]
    public void AGrantFollowsTheTokenClaimRules()
    {
        var errors = new Dictionary<string, string[]>();
        Assert.AreSame(ReadGrant.Everything, WebhookRequestChecks.CheckGrant(null, errors));

        var grant = WebhookRequestChecks.CheckGrant(new DestinationGrant(Types: ["audit"], Agents: [], Users: null), errors);
        Assert.AreEqual(0, errors.Count);
        Assert.IsTrue(grant.Types!.SetEquals(["audit"]));
        Assert.AreEqual(0, grant.Agents!.Count, "an empty list grants nothing");
        Assert.IsNull(grant.Users, "null grants anyone");

        WebhookRequestChecks.CheckGrant(new DestinationGrant(Types: ["nope"], Agents: ["ok", ""], Users: ["a\u0000b"]), errors);
        CollectionAssert.AreEquivalent(new[] { "grant.types", "grant.agents", "grant.users" }, errors.Keys.ToArray());
        StringAssert.Contains(errors["grant.agents"][0], "[1]: Must be 1 to 200 characters.");
        StringAssert.Contains(errors["grant.users"][0], "control characters");
    }

    [TestMethod]
    [DataRow(null, null)]
    [DataRow("SIEM", null)]
    [DataRow("line\nbreak", "control characters")]
    public void ADescriptionIsShortPrintableUnicode(string? description, string? refusal)
    {
        var error = WebhookRequestChecks.CheckDescription(description);
        if (refusal is null)
        {
            Assert.IsNull(error);
        }
        else
        {
            StringAssert.Contains(error, refusal);
        }

        StringAssert.Contains(WebhookRequestChecks.CheckDescription(new string('d', 501)), "500");

        // Not a DataRow: an attribute's string cannot hold an unpaired surrogate.
        StringAssert.Contains(WebhookRequestChecks.CheckDescription(new string(['\ud800', 'x'])), "unpaired");
    }

    [TestMethod]
    public void ASecretIsWhsecAndThirtyTwoRandomBytes()
    {
        var values = Enumerable.Range(0, 100).Select(_ => WebhookSecrets.NewValue()).ToList();
        Assert.IsTrue(values.All(v => v.StartsWith("whsec_", StringComparison.Ordinal) && Convert.FromBase64String(v[6..]).Length == 32));
        Assert.AreEqual(values.Count, values.Distinct().Count());
    }

    [TestMethod]
    public void AViewShowsTheLagAndTheOldestUndeliveredOnlyWhenBehind()
    {
        var committed = DateTimeOffset.Parse("2026-12-07T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var destination = new Destination(Guid.NewGuid(), DestinationKind.Webhook, new Uri("https://203.0.113.10/hook"), "d", ["audit"],
            new ReadGrant(null, new[] { "b", "a" }.ToFrozenSet(), null), JsonDocument.Parse("{}").RootElement, DestinationState.Enabled, null,
            Cursor: 40, CursorEpoch: 1, "admin", committed, committed, 0, null, null, null, null, null, 7);
        var secrets = new[] { new WebhookSecretView("s1", committed, null) };

        var behind = DestinationViews.ToView(destination, head: 45, committed, secrets);
        Assert.AreEqual(5, behind.Lag);
        Assert.AreEqual(committed, behind.OldestUndeliveredAt);
        CollectionAssert.AreEqual(new[] { "a", "b" }, behind.Grant.Agents!.ToArray());
        Assert.AreEqual("webhook", behind.Kind);
        Assert.AreEqual("enabled", behind.State);
        Assert.AreEqual(1, behind.Secrets!.Count);

        var caughtUp = DestinationViews.ToView(destination, head: 40, committed, secrets);
        Assert.AreEqual(0, caughtUp.Lag);
        Assert.IsNull(caughtUp.OldestUndeliveredAt);

        var ssf = DestinationViews.ToView(destination with { Kind = DestinationKind.Ssf }, head: 30, null, null);
        Assert.AreEqual(0, ssf.Lag, "a cursor past the head (an epoch that went back) shows no lag, never a negative one");
        Assert.IsNull(ssf.Secrets, "only webhooks have secrets");
    }
}
