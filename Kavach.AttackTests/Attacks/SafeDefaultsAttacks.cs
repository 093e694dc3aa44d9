using System.Net;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Settings an operator might get wrong outside Development: tokens turned off, the API described to anyone. A
/// replica refuses to start without tokens unless a setting names the risk; even then nobody revokes without an admin
/// token; the OpenAPI description is for token holders only.
/// </summary>
[TestClass]
public sealed class SafeDefaultsAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    [TestMethod]
    public async Task AReplicaWithoutTokensOutsideDevelopmentRefusesToStartNamingTheSetting()
    {
        string outcome;
        string? log = null;
        try
        {
            var replica = await Cluster.StartReplicaAsync("auth-off", new Dictionary<string, string> { ["Kavach__Stream__RequireAuth"] = "false" });
            using var anyone = new Api(replica.BaseAddress);
            outcome = $"started in Production and served an anonymous page: {(int)(await anyone.GetAsync($"{Api.Events}?limit=1")).Status}";
            await replica.StopAsync();
        }
        catch (InvalidOperationException e)
        {
            log = e.Message;
            outcome = "refused to start: " + (log.Split('\n').FirstOrDefault(l => l.Contains("RequireAuth", StringComparison.Ordinal))?.Trim() ?? "(no reason)");
        }

        Findings.Record("RequireAuth=false in Production", outcome);

        Assert.IsNotNull(log, outcome);
        StringAssert.Contains(log, "Kavach:Stream:RequireAuth=false is refused outside Development");
        StringAssert.Contains(log, "Kavach:Stream:AllowAnyoneToReadAndEmit=true");
    }

    [TestMethod]
    public async Task WithTokensOffByChoiceTheRevocationApiStillNeedsAnAdminToken()
    {
        var replica = await Cluster.StartReplicaAsync("auth-off-by-choice", new Dictionary<string, string>
        {
            ["Kavach__Stream__RequireAuth"] = "false",
            ["Kavach__Stream__AllowAnyoneToReadAndEmit"] = "true",
        });
        try
        {
            using var anyone = new Api(replica.BaseAddress);
            var page = await anyone.GetAsync($"{Api.Events}?limit=1");
            var list = await anyone.GetAsync("/api/kavach/revocations");
            var revoke = await anyone.PostJsonAsync("/api/kavach/revocations", new JsonObject { ["subject"] = $"victim-{Guid.NewGuid():N}" });
            using var admin = new Api(replica.BaseAddress, Forge.Admin("ops"));
            var withAdminToken = await admin.GetAsync("/api/kavach/revocations");
            Findings.Record("revocations with tokens off by choice",
                $"anonymous page {(int)page.Status}; anonymous list {(int)list.Status}, revoke {(int)revoke.Status}; admin token list {(int)withAdminToken.Status}");

            Assert.AreEqual(HttpStatusCode.OK, page.Status, "reading without a token is what was chosen");
            Assert.AreEqual(HttpStatusCode.Unauthorized, list.Status, list.ToString());
            Assert.AreEqual(HttpStatusCode.Unauthorized, revoke.Status, revoke.ToString());
            Assert.AreEqual(HttpStatusCode.OK, withAdminToken.Status, withAdminToken.ToString());
        }
        finally
        {
            await replica.StopAsync();
        }
    }

    [TestMethod]
    public async Task TheOpenApiDescriptionIsNotServedAnonymouslyInProduction()
    {
        using var anyone = new Api(Cluster.Replicas[0].BaseAddress);
        var anonymous = await anyone.GetAsync("/openapi/v1.json");
        using var reader = new Api(Cluster.Replicas[0].BaseAddress, Forge.Reader("openapi-reader"));
        var withToken = await reader.GetAsync("/openapi/v1.json");
        Findings.Record("OpenAPI in Production", $"anonymous {(int)anonymous.Status}, with a read token {(int)withToken.Status}");

        Assert.AreEqual(HttpStatusCode.Unauthorized, anonymous.Status, anonymous.ToString());
        Assert.AreEqual(HttpStatusCode.OK, withToken.Status, withToken.ToString());
        StringAssert.Contains(withToken.Body, "/api/kavach/events");
    }
}
