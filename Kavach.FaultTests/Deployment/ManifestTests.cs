using System.Text.Json.Nodes;
using Kavach.Processes;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// The AppHost in publish mode, run as a user (or azd) runs it: the manifest it writes is what a deployment to Azure
/// Container Apps is built from.
/// </summary>
[TestClass]
public sealed class ManifestTests
{
    private static JsonObject s_resources = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task PublishAsync(TestContext context)
    {
        var directory = Path.Combine(SuiteSettings.WorkRoot, "manifest");
        var manifest = Path.Combine(directory, "manifest.json");
        var log = Path.Combine(SuiteSettings.LogRoot, "manifest", "apphost-publish.log");
        var appHost = ChildProcess.Start("apphost-publish", ApiReplica.DotnetHost,
            [SuiteSettings.AppHostAssembly, "--publisher", "manifest", "--output-path", manifest],
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" }, log, Path.GetDirectoryName(SuiteSettings.AppHostAssembly));
        await appHost.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, appHost.ExitCode, appHost.LogTail());
        s_resources = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(manifest))!["resources"]!;
        context.WriteLine($"Manifest: {manifest}");
    }

    private static JsonObject Resource(string name) =>
        s_resources[name] as JsonObject ?? throw new AssertFailedException($"The manifest has no resource '{name}'.");

    [TestMethod]
    [DataRow("streamapi")]
    [DataRow("console")]
    public void TheAppsHaveExternalHttpEndpoints(string app)
    {
        var http = Resource(app)["bindings"]?["http"];
        Assert.IsNotNull(http, $"{app} has no http binding");
        Assert.AreEqual(true, (bool?)http["external"], $"{app}'s http endpoint is not external: nobody outside the environment could reach it");
    }

    [TestMethod]
    [DataRow("kavachdb")]
    [DataRow("kavachdb-owner")]
    [DataRow("redis")]
    public void PostgresAndRedisAreSecretConnectionStringParameters(string name)
    {
        var resource = Resource(name);
        Assert.AreEqual("parameter.v0", (string?)resource["type"]);
        Assert.AreEqual($"{{{name}.value}}", (string?)resource["connectionString"]);
        Assert.AreEqual(true, (bool?)resource["inputs"]?["value"]?["secret"]);
    }

    [TestMethod]
    [DataRow("kavach-signing-key")]
    [DataRow("kavach-checkpoint-key")]
    [DataRow("console-oidc-client-secret")]
    [DataRow("console-client-secret")]
    [DataRow("console-responder-client-secret")]
    [DataRow("kavachdb-app-password")]
    public void KeysAreSecretParameters(string name)
    {
        var resource = Resource(name);
        Assert.AreEqual("parameter.v0", (string?)resource["type"]);
        Assert.AreEqual(true, (bool?)resource["inputs"]?["value"]?["secret"]);
    }

    /// <summary>Deployed consoles sign in with Entra ID: the development provider and its users stay on the developer's machine.</summary>
    [TestMethod]
    public void TheDevelopmentIdentityProviderIsNotDeployed()
    {
        Assert.IsFalse(s_resources.ContainsKey("identity"), "the development OpenID Connect provider is in the manifest");
        Assert.IsFalse(s_resources.ContainsKey("dev-users-password"), "the development users' password is in the manifest");
        Assert.IsFalse(s_resources.ContainsKey("console-command-key"), "the demo command's key is in the manifest");
        Assert.AreEqual(false, (bool?)Resource("console-oidc-authority")["inputs"]?["value"]?["secret"] ?? false);
    }

    [TestMethod]
    public void NothingRunsAsAnExecutableOrAsADatabaseContainer()
    {
        foreach (var (name, resource) in s_resources)
        {
            var type = (string?)resource!["type"];
            Assert.IsFalse(type?.StartsWith("executable", StringComparison.Ordinal) == true, $"{name} is an executable ({type}): a path on this machine cannot deploy");
            Assert.IsFalse(type?.StartsWith("container", StringComparison.Ordinal) == true, $"{name} is a container ({type}): PostgreSQL and Redis are managed services");
        }

        Assert.IsFalse(s_resources.ContainsKey("postgres"));
    }

    /// <summary>The owner's connection reaches the migrate step only: the API runs as the service's role (docs/integrity.md).</summary>
    [TestMethod]
    public void OnlyTheMigrateStepGetsTheOwnersConnection()
    {
        var migrate = Resource("migrate");
        Assert.AreEqual("project.v0", (string?)migrate["type"]);
        CollectionAssert.AreEqual(new[] { "migrate" }, migrate["args"]!.AsArray().Select(a => (string?)a).ToArray());
        foreach (var (name, resource) in s_resources.Where(r => r.Key != "migrate"))
        {
            var env = resource?["env"]?.ToJsonString() ?? "";
            Assert.IsFalse(env.Contains("kavachdb-owner", StringComparison.Ordinal) || env.Contains("kavachdb-app-password", StringComparison.Ordinal),
                $"{name} gets the owner's connection or the service role's password: {env}");
        }
    }

    [TestMethod]
    [DataRow("streamapi", "ConnectionStrings__kavachdb", "{kavachdb.connectionString}")]
    [DataRow("streamapi", "ConnectionStrings__redis", "{redis.connectionString}")]
    [DataRow("streamapi", "Kavach__Auth__SigningKey", "{kavach-signing-key.value}")]
    [DataRow("streamapi", "Kavach__Integrity__CheckpointKey", "{kavach-checkpoint-key.value}")]
    [DataRow("streamapi", "Kavach__Auth__Clients__0__Secret", "{console-client-secret.value}")]
    [DataRow("streamapi", "Kavach__Auth__Clients__0__Scopes", "events:read alerts:write")]
    [DataRow("streamapi", "Kavach__Auth__Clients__1__Secret", "{console-responder-client-secret.value}")]
    [DataRow("streamapi", "Kavach__Auth__Clients__1__Scopes", "events:revoke")]
    [DataRow("streamapi", "Kavach__Ingress__TrustForwardedHeaders", "true")]
    [DataRow("console", "ConnectionStrings__redis", "{redis.connectionString}")]
    [DataRow("console", "StreamApi__ClientSecret", "{console-client-secret.value}")]
    [DataRow("console", "StreamApi__ResponderClientSecret", "{console-responder-client-secret.value}")]
    [DataRow("console", "Console__Auth__Mode", "Oidc")]
    [DataRow("console", "Console__Auth__Authority", "{console-oidc-authority.value}")]
    [DataRow("console", "Console__Auth__ClientId", "{console-oidc-client-id.value}")]
    [DataRow("console", "Console__Auth__ClientSecret", "{console-oidc-client-secret.value}")]
    [DataRow("console", "Kavach__Ingress__TrustForwardedHeaders", "true")]
    [DataRow("migrate", "ConnectionStrings__kavachdb", "{kavachdb-owner.connectionString}")]
    [DataRow("migrate", "Kavach__Database__AppRole", "kavach_app")]
    [DataRow("migrate", "Kavach__Database__AppRolePassword", "{kavachdb-app-password.value}")]
    public void SecretsReachTheAppsAsReferencesNeverAsValues(string app, string variable, string expected)
    {
        Assert.AreEqual(expected, (string?)Resource(app)["env"]?[variable], $"{app}: {variable}");
    }
}
