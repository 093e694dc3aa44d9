using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Alerts;

namespace Kavach.UnitTests.StreamApi.Alerts;

/// <summary>What an alert request must be before the store sees it, the lifecycle's allowed changes, and the notification's shape.</summary>
[TestClass]
public sealed class AlertRequestChecksTests
{
    private static AlertRaise Valid() => new("auth-failed-burst", "burst", AlertEntityKinds.User, "alice", "auth.failed burst for alice",
        "5 failures\nwithin 60 s", [7, 3, 7, 5], 600, null);

    [TestMethod]
    public void AValidRaiseKeepsItsFieldsAndSortsItsEvidenceWithoutDuplicates()
    {
        var (alert, errors) = AlertRequestChecks.CheckRaise(Valid(), "console");

        Assert.IsEmpty(errors);
        Assert.IsNotNull(alert);
        CollectionAssert.AreEqual(new long[] { 3, 5, 7 }, alert.Evidence);
        Assert.AreEqual("console", alert.RaisedBy);
        Assert.AreEqual(600, alert.DedupeWindowSeconds);
        Assert.AreEqual("5 failures\nwithin 60 s", alert.Detail);
    }

    [TestMethod]
    [DataRow("rule", null, "Required.")]
    [DataRow("rule", "", "1 to")]
    [DataRow("kind", "a very long kind that is longer than fifty characters, which is too long", "1 to 50")]
    [DataRow("entity", "bob\r\n", "control")]
    [DataRow("entityKind", "tenant", "userId, agentId, stream")]
    [DataRow("title", "   ", "not only spaces")]
    [DataRow("title", "a\u0007bell", "control")]
    public void EachBadFieldIsNamed(string field, string? value, string says)
    {
        var request = field switch
        {
            "rule" => Valid() with { Rule = value },
            "kind" => Valid() with { Kind = value },
            "entity" => Valid() with { Entity = value },
            "entityKind" => Valid() with { EntityKind = value },
            "title" => Valid() with { Title = value },
            _ => Valid() with { Detail = value },
        };

        var (alert, errors) = AlertRequestChecks.CheckRaise(request, "console");

        Assert.IsNull(alert);
        Assert.AreEqual(field, errors.Keys.Single());
        StringAssert.Contains(errors[field][0], says);
    }

    [TestMethod]
    public void AnUnpairedSurrogateIsRefused()
    {
        // Built here: an attribute's string cannot hold an unpaired surrogate (the compiler replaces it).
        var (alert, errors) = AlertRequestChecks.CheckRaise(Valid() with { Detail = "half a pair " + '\ud800' }, "console");

        Assert.IsNull(alert);
        StringAssert.Contains(errors["detail"][0], "surrogate");
    }

    [TestMethod]
    public void EvidenceWindowAndDestinationAreBounded()
    {
        Assert.IsTrue(AlertRequestChecks.CheckRaise(Valid() with { Evidence = [] }, "c").Errors.ContainsKey("evidence"));
        Assert.IsTrue(AlertRequestChecks.CheckRaise(Valid() with { Evidence = null }, "c").Errors.ContainsKey("evidence"));
        Assert.IsTrue(AlertRequestChecks.CheckRaise(Valid() with { Evidence = [1, 0] }, "c").Errors.ContainsKey("evidence"));
        Assert.IsTrue(AlertRequestChecks.CheckRaise(Valid() with { Evidence = [.. Enumerable.Range(1, AlertLimits.EvidenceCount + 1).Select(i => (long)i)] }, "c")
            .Errors.ContainsKey("evidence"));
        Assert.IsEmpty(AlertRequestChecks.CheckRaise(Valid() with { Evidence = [.. Enumerable.Range(1, AlertLimits.EvidenceCount).Select(i => (long)i)] }, "c").Errors);
        Assert.IsTrue(AlertRequestChecks.CheckRaise(Valid() with { DedupeWindowSeconds = 0 }, "c").Errors.ContainsKey("dedupeWindowSeconds"));
        Assert.IsTrue(AlertRequestChecks.CheckRaise(Valid() with { DedupeWindowSeconds = AlertLimits.DedupeWindowSeconds + 1 }, "c").Errors.ContainsKey("dedupeWindowSeconds"));
        Assert.IsEmpty(AlertRequestChecks.CheckRaise(Valid() with { DedupeWindowSeconds = null }, "c").Errors);
        Assert.IsTrue(AlertRequestChecks.CheckRaise(Valid() with { NotifyDestination = Guid.Empty }, "c").Errors.ContainsKey("notifyDestination"));
        Assert.IsTrue(AlertRequestChecks.CheckRaise(null, "c").Errors.ContainsKey("body"));
    }

    [TestMethod]
    public void AStateChangeNeedsAKnownStateAPersonAndANoteWithinItsLength()
    {
        Assert.IsEmpty(AlertRequestChecks.CheckChange(new AlertStateChange(AlertStates.Acknowledged, "alice", "on it\nticket 1")));
        Assert.IsEmpty(AlertRequestChecks.CheckChange(new AlertStateChange(AlertStates.Resolved, "alice")));
        CollectionAssert.AreEquivalent(new[] { "state", "by" }, AlertRequestChecks.CheckChange(new AlertStateChange("closed", null)).Keys.ToList());
        Assert.IsTrue(AlertRequestChecks.CheckChange(new AlertStateChange(AlertStates.Resolved, "alice", new string('n', AlertLimits.NoteLength + 1)))
            .ContainsKey("note"));
        Assert.IsEmpty(AlertRequestChecks.CheckChange(new AlertStateChange(AlertStates.Resolved, "alice", new string('n', AlertLimits.NoteLength))));
        Assert.IsTrue(AlertRequestChecks.CheckChange(new AlertStateChange(AlertStates.Resolved, "alice\n")).ContainsKey("by"));
        Assert.IsTrue(AlertRequestChecks.CheckChange(null).ContainsKey("body"));
    }

    [TestMethod]
    public void AListRefusesUnknownStatesKindsAndPagesOutOfRange()
    {
        Assert.IsNull(AlertRequestChecks.CheckList(AlertStates.Open, "rule", AlertEntityKinds.Agent, "agent-7", 10, AlertLimits.PageSize));
        Assert.IsNull(AlertRequestChecks.CheckList(null, null, null, null, null, null));
        StringAssert.Contains(AlertRequestChecks.CheckList("closed", null, null, null, null, null), "'state'");
        StringAssert.Contains(AlertRequestChecks.CheckList(null, null, "tenant", null, null, null), "'entityKind'");
        StringAssert.Contains(AlertRequestChecks.CheckList(null, "", null, null, null, null), "'rule'");
        StringAssert.Contains(AlertRequestChecks.CheckList(null, null, null, null, 0, null), "'before'");
        StringAssert.Contains(AlertRequestChecks.CheckList(null, null, null, null, null, AlertLimits.PageSize + 1), "'limit'");
        StringAssert.Contains(AlertRequestChecks.CheckList(null, null, null, null, null, 0), "'limit'");
    }

    [TestMethod]
    public void PeopleMoveAlertsForwardAndReopenThemOnlyExplicitly()
    {
        var allowed = new List<string>();
        foreach (var from in AlertStates.All)
        {
            foreach (var to in AlertStates.All)
            {
                if (AlertStates.CanChange(from, to))
                {
                    allowed.Add($"{from}->{to}");
                }
            }
        }

        CollectionAssert.AreEquivalent(
            new[] { "open->acknowledged", "open->resolved", "acknowledged->resolved", "acknowledged->open", "resolved->open" }, allowed);
    }

    [TestMethod]
    public void ANotificationCarriesTheAlertWithoutItsHistoryUnderAnIdStableAcrossRetries()
    {
        var at = new DateTimeOffset(2026, 12, 7, 22, 0, 0, TimeSpan.Zero);
        var alert = new AlertView(42, "burst", "burst", AlertEntityKinds.Agent, "agent-7", "burst", null, [3, 5], AlertStates.Open, at, "console",
            at, "console", null, Guid.NewGuid(), [new AlertChange(AlertStates.Open, "console", "console", at, null)]);

        var payload = JsonDocument.Parse(AlertNotification.Payload(alert)).RootElement;

        Assert.AreEqual("alert-raised-42", AlertNotification.MessageId(alert));
        Assert.AreEqual(AlertMessageKinds.Raised, payload.GetProperty("kind").GetString());
        var sent = payload.GetProperty("alert");
        Assert.AreEqual(42, sent.GetProperty("id").GetInt64());
        Assert.AreEqual("agentId", sent.GetProperty("entityKind").GetString());
        Assert.AreEqual("[3,5]", sent.GetProperty("evidence").GetRawText());
        Assert.IsFalse(sent.TryGetProperty("history", out _));
        Assert.IsFalse(sent.TryGetProperty("detail", out _), "absent rather than null");
    }
}
