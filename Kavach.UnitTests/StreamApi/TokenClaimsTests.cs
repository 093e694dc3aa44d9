using Kavach.StreamApi.Events;
using System.Text.Json;
using Kavach.StreamApi.Auth;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// The one grant parser over every claim shape: a narrowing claim that is present narrows (an empty one to nothing),
/// one of the wrong shape invalidates the token with a reason, and scopes come as a string or an array.
/// </summary>
[TestClass]
public sealed class TokenClaimsTests
{
    private static (Subscriber? Subscriber, string? Error) Read(string claims)
    {
        using var payload = JsonDocument.Parse($$"""{"sub":"s-1","scope":"events:read"{{(claims.Length > 0 ? "," + claims : "")}}}""");
        TokenClaims.TryRead(payload.RootElement, out var subscriber, out var error);
        return (subscriber, error);
    }

    [TestMethod]
    [DataRow("kavach_users")]
    [DataRow("kavach_agents")]
    public void APartyClaimOfEveryShapeNarrowsOrInvalidates(string claim)
    {
        ReadGrant Grant(string json) => Read(json).Subscriber!.Reads;
        string? Error(string json) => Read(json).Error;
        var parties = (ReadGrant g) => claim == "kavach_users" ? g.Users : g.Agents;

        Assert.IsNull(parties(Grant("")), "absent: not narrowed");
        Assert.IsEmpty(parties(Grant($"\"{claim}\":[]"))!, "an empty array narrows to nothing");
        Assert.IsTrue(Grant($"\"{claim}\":[]").NarrowsParties);
        CollectionAssert.AreEquivalent(new[] { "p" }, parties(Grant($"\"{claim}\":\"p\""))!.ToArray());
        CollectionAssert.AreEquivalent(new[] { "p", "q" }, parties(Grant($"\"{claim}\":[\"p\",\"q\",\"p\"]"))!.ToArray());
        CollectionAssert.AreEquivalent(new[] { "P" }, parties(Grant($"\"{claim}\":[\"P\"]"))!.ToArray(), "ids keep their case");

        foreach (var malformed in new[] { "5", "[5]", "{}", "null", "true", "\"\"", "[\"\"]", "[\"p\",null]", "[[\"p\"]]", "\"a\\u0001b\"" })
        {
            StringAssert.Contains(Error($"\"{claim}\":{malformed}"), claim, $"{malformed} must invalidate the token");
        }
    }

    [TestMethod]
    public void TheTypesClaimNamesKnownTypesOnly()
    {
        Assert.IsEmpty(Read("\"kavach_types\":[]").Subscriber!.Reads.Types!);
        CollectionAssert.AreEquivalent(new[] { "audit" }, Read("\"kavach_types\":\"audit\"").Subscriber!.Reads.Types!.ToArray());
        StringAssert.Contains(Read("\"kavach_types\":[\"AUDIT\"]").Error, "not an event type");
        StringAssert.Contains(Read("\"kavach_types\":[\"audit\",7]").Error, "kavach_types");
    }

    [TestMethod]
    public void AnEmptyGrantReadsNothingAndIsNotEverything()
    {
        var reads = Read("\"kavach_users\":[]").Subscriber!.Reads;
        Assert.IsFalse(reads.ReadsEverything);
        Assert.IsTrue(Kavach.StreamApi.Events.ReadScope.TryCreate(Kavach.StreamApi.Events.EventTypeFilter.ForModule([]), reads, null, null, null, out var scope, out _, out _));
        Assert.IsFalse(scope.Allows("audit", "any-agent", "any-user"));
        Assert.IsFalse(scope.Allows("audit", null, null));
    }

    [TestMethod]
    public void TheSubjectKindIsExactlyAgentOrUser()
    {
        Assert.AreEqual("s-1", Read("\"kavach_subject\":\"agent\"").Subscriber!.Agent);
        Assert.AreEqual("s-1", Read("\"kavach_subject\":\"user\"").Subscriber!.User);
        foreach (var wrong in new[] { "\"Agent\"", "\"robot\"", "null", "[\"agent\"]", "1" })
        {
            StringAssert.Contains(Read($"\"kavach_subject\":{wrong}").Error, "kavach_subject", wrong);
        }
    }

    [TestMethod]
    public void ScopesComeAsAStringOrAnArrayAndNothingElse()
    {
        using var entra = JsonDocument.Parse("""{"sub":"s","scp":["events:read","events:emit"]}""");
        Assert.IsTrue(TokenClaims.TryRead(entra.RootElement, out var subscriber, out _));
        Assert.IsTrue(subscriber!.HasScope("events:emit"));

        using var numeric = JsonDocument.Parse("""{"sub":"s","scope":7}""");
        Assert.IsFalse(TokenClaims.TryRead(numeric.RootElement, out _, out var error));
        StringAssert.Contains(error, "'scope'");

        using var noSubject = JsonDocument.Parse("""{"sub":"","scope":"events:read"}""");
        Assert.IsFalse(TokenClaims.TryRead(noSubject.RootElement, out _, out error));
        StringAssert.Contains(error, "sub");
    }
}
