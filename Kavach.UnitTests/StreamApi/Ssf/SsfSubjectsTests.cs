using Kavach.Contracts;
using Kavach.StreamApi.Ssf;

namespace Kavach.UnitTests.StreamApi.Ssf;

[TestClass]
public sealed class SsfSubjectsTests
{
    private const string Alice = """{"format":"iss_sub","iss":"https://transmitter.example/users","sub":"alice"}""";

    [TestMethod]
    public void TheCanonicalFormIgnoresMemberOrderAndSpacing() =>
        Assert.AreEqual(SsfSubjectId.Canonical(SsfTestStreams.Json(Alice)),
            SsfSubjectId.Canonical(SsfTestStreams.Json("""{ "sub": "alice", "format": "iss_sub", "iss": "https://transmitter.example/users" }""")));

    [TestMethod]
    public void ARemovedUserHoldsBackEveryEventAboutThem()
    {
        var stream = SsfTestStreams.Stream(removed: [SsfTestStreams.Json(Alice)]);
        Assert.IsFalse(stream.Wants(SsfTestStreams.Event(1, KavachEventTypes.AuthSignIn, null, "alice")));
        Assert.IsFalse(stream.Wants(SsfTestStreams.Event(2, KavachEventTypes.Audit, "agent-7", "alice")), "the agent's event for alice too");
        Assert.IsTrue(stream.Wants(SsfTestStreams.Event(3, KavachEventTypes.AuthSignIn, null, "bob")));
        Assert.IsTrue(SsfTestStreams.Stream().Wants(SsfTestStreams.Event(4, KavachEventTypes.AuthSignIn, null, "alice")), "every subject by default");
    }

    [TestMethod]
    public void AComplexSubjectMatchesOnTheMembersItShares()
    {
        var both = SsfTestStreams.Json($$$"""{"format":"complex","user":{{{Alice}}},"agent":{"format":"iss_sub","iss":"https://transmitter.example/agents","sub":"agent-7"}}""");
        var stream = SsfTestStreams.Stream(removed: [both]);
        Assert.IsFalse(stream.Wants(SsfTestStreams.Event(1, KavachEventTypes.Audit, "agent-7", "alice")));
        Assert.IsFalse(stream.Wants(SsfTestStreams.Event(2, KavachEventTypes.Audit, null, "alice")), "an undefined member is a wildcard");
        Assert.IsTrue(stream.Wants(SsfTestStreams.Event(3, KavachEventTypes.Audit, "agent-8", "alice")), "a differing member does not match");

        var tenantOnly = SsfTestStreams.Stream(removed: [SsfTestStreams.Json("""{"format":"complex","tenant":{"format":"opaque","id":"t1"}}""")]);
        Assert.IsTrue(tenantOnly.Wants(SsfTestStreams.Event(4, KavachEventTypes.Audit)), "sharing no member, it matches nothing");
    }

    [TestMethod]
    [DataRow("[]")]
    [DataRow("""{"email":"a@example.com"}""")]
    [DataRow("""{"format":"email"}""")]
    [DataRow("""{"format":"complex"}""")]
    [DataRow("""{"format":"complex","user":"alice"}""")]
    public void MalformedSubjectsAreRefused(string subject) => Assert.IsNotNull(SsfSubjectId.Check(SsfTestStreams.Json(subject)));

    [TestMethod]
    [DataRow("""{"format":"email","email":"a@example.com"}""")]
    [DataRow(Alice)]
    [DataRow("""{"format":"complex","user":{"format":"email","email":"a@example.com"},"tenant":{"format":"opaque","id":"t"}}""")]
    public void SubjectIdentifiersAreAccepted(string subject) => Assert.IsNull(SsfSubjectId.Check(SsfTestStreams.Json(subject)));
}
