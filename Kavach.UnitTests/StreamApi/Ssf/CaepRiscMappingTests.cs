using Kavach.Contracts;
using Kavach.StreamApi.Ssf;

namespace Kavach.UnitTests.StreamApi.Ssf;

[TestClass]
public sealed class CaepRiscMappingTests
{
    [TestMethod]
    public void EveryOneOfTheTwelveTypesHasExactlyOneMapping()
    {
        CollectionAssert.AreEquivalent(KavachEventTypes.All.ToArray(), CaepRiscMapping.All.Select(m => m.KavachType).ToArray());
        foreach (var type in KavachEventTypes.All)
        {
            var mapping = CaepRiscMapping.Of(type);
            Assert.IsNotNull(mapping, type);
            Assert.IsTrue(Uri.IsWellFormedUriString(mapping.EventUri, UriKind.Absolute), mapping.EventUri);
        }
    }

    [TestMethod]
    [DataRow(KavachEventTypes.AgentRevoked, "https://schemas.openid.net/secevent/risc/event-type/account-disabled")]
    [DataRow(KavachEventTypes.AgentRotated, "https://schemas.openid.net/secevent/caep/event-type/credential-change")]
    [DataRow(KavachEventTypes.AuthSignOut, "https://schemas.openid.net/secevent/caep/event-type/session-revoked")]
    [DataRow(KavachEventTypes.DelegationRevoked, "https://schemas.openid.net/secevent/caep/event-type/session-revoked")]
    [DataRow(KavachEventTypes.AnomalyDetected, "https://schemas.openid.net/secevent/caep/event-type/risk-level-change")]
    [DataRow(KavachEventTypes.AuthSignIn, "https://schemas.openid.net/secevent/caep/event-type/session-established")]
    [DataRow(KavachEventTypes.AgentCreated, "https://kavach.dev/secevent/event-type/agent.created")]
    [DataRow(KavachEventTypes.Audit, "https://kavach.dev/secevent/event-type/audit")]
    [DataRow(KavachEventTypes.AuthFailed, "https://kavach.dev/secevent/event-type/auth.failed")]
    [DataRow(KavachEventTypes.DelegationCreated, "https://kavach.dev/secevent/event-type/delegation.created")]
    [DataRow(KavachEventTypes.BudgetExceeded, "https://kavach.dev/secevent/event-type/budget.exceeded")]
    [DataRow(KavachEventTypes.CostRecorded, "https://kavach.dev/secevent/event-type/cost.recorded")]
    public void EachTypeMapsToItsDocumentedUri(string type, string uri) => Assert.AreEqual(uri, CaepRiscMapping.Of(type)!.EventUri);

    [TestMethod]
    public void SupportedListsEachUriOnce()
    {
        Assert.AreEqual(CaepRiscMapping.Supported.Count, CaepRiscMapping.Supported.Distinct().Count());
        Assert.AreEqual(11, CaepRiscMapping.Supported.Count, "two types share session-revoked");
    }

    [TestMethod]
    public void DeliveredIsTheSupportedPartOfWhatWasRequestedAndAllWhenNothingWas()
    {
        CollectionAssert.AreEqual(CaepRiscMapping.Supported.ToArray(), CaepRiscMapping.Delivered(null).ToArray());
        var delivered = CaepRiscMapping.Delivered([CaepRiscMapping.SessionRevoked, "urn:example:unknown"]);
        CollectionAssert.AreEqual(new[] { CaepRiscMapping.SessionRevoked }, delivered.ToArray());
        CollectionAssert.AreEquivalent(new[] { KavachEventTypes.AuthSignOut, KavachEventTypes.DelegationRevoked },
            CaepRiscMapping.TypesFor(delivered).ToArray(), "one URI delivers every type mapped to it");
        Assert.AreEqual(0, CaepRiscMapping.TypesFor(CaepRiscMapping.Delivered(["urn:example:unknown"])).Count);
    }
}
