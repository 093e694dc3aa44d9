using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// What infra/ asks Azure to create, read from the compiled template (bicep build infra/main.bicep) with the default
/// parameters: no Azure account is reachable from here, so these are the deployment's safety and first-run properties as
/// far as the template decides them (docs/deploy-azure.md, "What was verified here").
/// </summary>
[TestClass]
public sealed partial class ArmTemplateTests
{
    private const string SecretsUserRole = "4633458b-17de-408a-b874-0445c86b69e6";
    private static readonly string[] ConsoleSecrets = ["console-access-key", "console-client-secret", "console-oidc-client-secret", "console-responder-client-secret", "redis-connection-string"];
    private static readonly string[] Apps = ["streamapi", "console"];

    /// <summary>The port each image serves: Kavach's own images (the SDK's ASP.NET Core base, ASPNETCORE_HTTP_PORTS) and
    /// the public placeholders a first provision may run.</summary>
    private static readonly Dictionary<string, int> ServedPorts = new()
    {
        ["mcr.microsoft.com/dotnet/samples:aspnetapp"] = 8080,
        ["mcr.microsoft.com/k8se/quickstart:latest"] = 80,
        ["kavach.azurecr.io/kavach-streamapi:azd-deploy-1"] = 8080,
    };

    private static string? s_json;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task EachAppRunsAsAnIdentityOfItsOwn()
    {
        var main = await MainAsync();
        var identities = Apps.ToDictionary(app => app, app => IdentityDeploymentOf(main, app));
        Assert.AreNotEqual(identities["streamapi"], identities["console"], "both apps run as the same identity");
        foreach (var (app, identity) in identities)
        {
            Assert.AreEqual(1, main.Descendant(identity).Resources().Count(r => r.Type == "Microsoft.ManagedIdentity/userAssignedIdentities"),
                $"{app}'s identity comes from deployment '{identity}', which does not create exactly one identity");
            Assert.IsTrue(main.AllResources().Any(r => IsRole(r, "7f951dda-4ed3-4680-a7ca-43fe172d538d") && (r.Deployment.Name == identity || ReadsFrom(r, identity))),
                $"{app}'s identity cannot pull images (no AcrPull)");
        }
    }

    [TestMethod]
    public async Task KeyVaultAccessIsGrantedPerSecretNeverOnTheVault()
    {
        var grants = (await MainAsync()).AllResources().Where(r => IsRole(r, SecretsUserRole)).ToList();
        Assert.IsNotEmpty(grants, "no Key Vault Secrets User role assignment at all");
        foreach (var grant in grants)
        {
            StringAssert.Contains(ArmExpression.Render(grant.Get("scope")), "Microsoft.KeyVault/vaults/secrets",
                $"Key Vault Secrets User in '{grant.Deployment.Name}' is scoped wider than one secret");
        }
    }

    [TestMethod]
    public async Task TheConsoleReadsOnlyItsFourSecretsAndEachAppEveryOneItReferences()
    {
        var main = await MainAsync();
        var readable = ReadableSecrets(main);
        var consoleIdentity = IdentityDeploymentOf(main, "console");
        CollectionAssert.AreEquivalent(ConsoleSecrets, readable.GetValueOrDefault(consoleIdentity, []).Order().ToList(),
            $"the console's identity reads {string.Join(", ", readable.GetValueOrDefault(consoleIdentity, []))}");
        foreach (var app in Apps)
        {
            var identity = IdentityDeploymentOf(main, app);
            var references = KeyVaultReferences(main, app).ToList();
            Assert.IsNotEmpty(references, $"{app} references no Key Vault secret by name");
            foreach (var secret in references)
            {
                CollectionAssert.Contains(readable.GetValueOrDefault(identity, []), secret, $"{app} references '{secret}', which its identity may not read");
            }
        }
    }

    [TestMethod]
    public async Task RedisIsAzureManagedRedisOverTlsReachedOnlyPrivately()
    {
        var resources = (await MainAsync()).AllResources().ToList();
        Assert.IsFalse(resources.Any(r => r.Type == "Microsoft.Cache/redis"), "Azure Cache for Redis takes no new instances");
        var cluster = resources.Single(r => r.Type == "Microsoft.Cache/redisEnterprise");
        Assert.AreEqual("Disabled", cluster.Properties.GetValueOrDefault("publicNetworkAccess"), "Redis is reachable publicly");
        var database = resources.Single(r => r.Type == "Microsoft.Cache/redisEnterprise/databases");
        Assert.AreEqual("Encrypted", database.Properties["clientProtocol"]);
        Assert.AreEqual(10000L, database.Properties["port"]);
        Assert.IsTrue(resources.Any(r => r.Type == "Microsoft.Network/privateEndpoints"
                                         && Serialized(r.Properties).Contains("\"redisEnterprise\"", StringComparison.Ordinal)),
            "no private endpoint to Redis");
        var secret = resources.Single(r => r.Type == "Microsoft.KeyVault/vaults/secrets" && r.Name.EndsWith("redis-connection-string", StringComparison.Ordinal));
        StringAssert.Matches(ArmExpression.Render(secret.Properties["value"]), ConnectionStringShape(), "the connection string StackExchange.Redis gets");
    }

    [TestMethod]
    public async Task PostgresHasPrivateAccessOnlyAndNoFirewallRule()
    {
        var resources = (await MainAsync()).AllResources().ToList();
        Assert.IsFalse(resources.Any(r => r.Type == "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules"), "PostgreSQL has a firewall rule");
        var network = (Dictionary<string, object?>)resources.Single(r => r.Type == "Microsoft.DBforPostgreSQL/flexibleServers").Properties["network"]!;
        Assert.AreEqual("Disabled", network.GetValueOrDefault("publicNetworkAccess"), "PostgreSQL is reachable publicly");
        Assert.IsNotNull(network.GetValueOrDefault("delegatedSubnetResourceId"), "PostgreSQL is in no subnet");
        Assert.IsNotNull(network.GetValueOrDefault("privateDnsZoneArmResourceId"), "PostgreSQL's name resolves through no private zone");
        Assert.DoesNotContain("0.0.0.0", s_json!, "a rule that lets all of Azure in");
    }

    [TestMethod]
    public async Task TheContainerAppsEnvironmentIsInTheVirtualNetwork()
    {
        var environment = (await MainAsync()).AllResources().Single(r => r.Type == "Microsoft.App/managedEnvironments");
        var vnet = (Dictionary<string, object?>)environment.Properties["vnetConfiguration"]!;
        StringAssert.Contains(ArmExpression.Render(vnet["infrastructureSubnetId"]), "'network'");
    }

    [TestMethod]
    public async Task TheApiScalesOnARuleThatCanFireUnderHttpIngress()
    {
        var main = await MainAsync();
        foreach (var app in Apps)
        {
            var properties = ContainerApp(main.Descendant(app)).Properties;
            var transport = ((Dictionary<string, object?>)((Dictionary<string, object?>)properties["configuration"]!)["ingress"]!)["transport"];
            var rules = ScaleRules(properties);
            if (transport is not "tcp")
            {
                Assert.IsFalse(rules.Any(r => r.ContainsKey("tcp")), $"{app}: a TCP scale rule never fires under {transport} ingress");
            }
        }

        var apiRules = ScaleRules(ContainerApp(main.Descendant("streamapi")).Properties);
        var customTypes = apiRules.Where(r => r.ContainsKey("custom")).Select(r => ((Dictionary<string, object?>)r["custom"]!)["type"]).ToList();
        Assert.IsTrue(customTypes.Any(t => t is "cpu" or "memory" or "azure-monitor" or "prometheus"),
            $"the API scales on none of CPU, memory or a metric of its streams (rules: {Serialized(apiRules)})");
    }

    [TestMethod]
    public async Task TheApiHoldsAsManyStreamsPerReplicaAsTheDeploymentSays()
    {
        var env = Env(ContainerApp((await MainAsync()).Descendant("streamapi")));
        Assert.IsTrue(env.TryGetValue("Kavach__Stream__MaxConnections", out var max), "Kavach__Stream__MaxConnections is not set: the app's default (100) applies");
        Assert.AreEqual(AcaSettings.StreamApiMaxConnections, ArmExpression.Render(max), "the rehearsal and the Bicep hold different limits");
    }

    [TestMethod]
    [DataRow("streamapi", "")]
    [DataRow("console", "")]
    [DataRow("streamapi", "kavach.azurecr.io/kavach-streamapi:azd-deploy-1")]
    public async Task IngressAndProbesUseThePortTheImageServes(string app, string image)
    {
        var resource = ContainerApp((await MainAsync()).Descendant(app).With("image", image));
        var properties = resource.Properties;
        var template = (Dictionary<string, object?>)properties["template"]!;
        var container = (Dictionary<string, object?>)((List<object?>)template["containers"]!)[0]!;
        var runs = (string)container["image"]!;
        Assert.IsTrue(ServedPorts.TryGetValue(runs, out var served), $"{app} runs '{runs}', whose port this test does not know");

        var ingress = (Dictionary<string, object?>)((Dictionary<string, object?>)properties["configuration"]!)["ingress"]!;
        Assert.AreEqual((long)served, ingress["targetPort"], $"{app} runs {runs} (port {served}) behind an ingress to another port");
        var probes = (container.GetValueOrDefault("probes") as List<object?> ?? []).Cast<Dictionary<string, object?>>().ToList();
        foreach (var probe in probes)
        {
            var httpGet = (Dictionary<string, object?>)probe["httpGet"]!;
            Assert.AreEqual((long)served, httpGet["port"], $"{app}'s {probe["type"]} probe misses the port {runs} serves");
        }

        if (image.Length > 0)
        {
            CollectionAssert.IsSubsetOf(new[] { "/alive", "/health" }, probes.Select(p => ((Dictionary<string, object?>)p["httpGet"]!)["path"]).ToList(),
                $"{app}'s own image is probed on neither /alive nor /health");
        }
        else
        {
            Assert.IsEmpty(probes.Where(p => ((Dictionary<string, object?>)p["httpGet"]!)["path"] is "/alive" or "/health").ToList(),
                $"the placeholder serves neither /alive nor /health, yet {app} probes them");
        }
    }

    private async Task<ArmDeployment> MainAsync()
    {
        if (s_json is null)
        {
            var build = await BicepCli.RunAsync(Path.Combine(SuiteSettings.RepositoryRoot, "infra"), "build", "main.bicep", "--stdout");
            Assert.AreEqual(0, build.ExitCode, build.Diagnostics);
            s_json = build.Output;
        }

        var checkpointKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem();
        // What azd passes from main.parameters.json, with the defaults for everything else.
        var parameters = new Dictionary<string, object?>
        {
            ["environmentName"] = "kavach-test",
            ["location"] = "westeurope",
            ["kavachSigningKey"] = new string('s', 48),
            ["kavachCheckpointKey"] = checkpointKey,
            ["kavachCheckpointKeyBase64"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(checkpointKey)),
            ["consoleAccessKey"] = new string('a', 32),
            ["consoleAuthMode"] = "Oidc",
            ["consoleOidcAuthority"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
            ["consoleOidcClientId"] = "11111111-1111-1111-1111-111111111111",
            ["consoleOidcClientSecret"] = new string('o', 40),
            ["consoleClientSecret"] = new string('c', 48),
            ["consoleResponderClientSecret"] = new string('r', 48),
            ["postgresAdministratorPassword"] = "Kv-" + new string('p', 40),
            ["postgresAppPassword"] = new string('q', 48),
            ["existingPostgresConnectionString"] = "",
            ["postgresHighAvailability"] = "Disabled",
            ["streamApiImage"] = "",
            ["consoleImage"] = "",
        };
        return ArmDeployment.OfMain(JsonNode.Parse(s_json)!.AsObject(), parameters);
    }

    private static ArmResource ContainerApp(ArmDeployment app) => app.Resources().Single(r => r.Type == "Microsoft.App/containerApps");

    /// <summary>The module deployment whose output is the identity an app runs as (e.g. 'identity-console').</summary>
    private static string IdentityDeploymentOf(ArmDeployment main, string app)
    {
        var identity = (Dictionary<string, object?>)ContainerApp(main.Descendant(app)).Get("identity")!;
        var assigned = ((Dictionary<string, object?>)identity["userAssignedIdentities"]!).Keys.Single();
        return DeploymentNamed().Match(assigned) is { Success: true } match
            ? match.Groups[1].Value
            : throw new AssertFailedException($"{app}'s identity '{assigned}' comes from no module");
    }

    private static bool IsRole(ArmResource resource, string roleId) =>
        resource.Type == "Microsoft.Authorization/roleAssignments"
        && ArmExpression.Render(resource.Properties["roleDefinitionId"]).Contains(roleId, StringComparison.Ordinal);

    private static bool ReadsFrom(ArmResource grant, string identityDeployment) =>
        ArmExpression.Render(grant.Properties["principalId"]).Contains($"'{identityDeployment}'", StringComparison.Ordinal);

    /// <summary>Per identity module, the names of the secrets it holds Key Vault Secrets User on (all of them for a vault-wide grant).</summary>
    private static Dictionary<string, List<string>> ReadableSecrets(ArmDeployment main)
    {
        var resources = main.AllResources().ToList();
        var allSecrets = resources.Where(r => r.Type == "Microsoft.KeyVault/vaults/secrets").Select(r => r.Name.Split('/')[^1]).ToList();
        var readable = new Dictionary<string, List<string>>();
        foreach (var grant in resources.Where(r => IsRole(r, SecretsUserRole)))
        {
            var scope = ArmExpression.Render(grant.Get("scope"));
            var secrets = scope.Contains("Microsoft.KeyVault/vaults/secrets", StringComparison.Ordinal)
                ? [LastQuoted().Match(scope).Groups[1].Value]
                : allSecrets;
            var identity = DeploymentNamed().Match(ArmExpression.Render(grant.Properties["principalId"])).Groups[1].Value;
            readable.TryAdd(identity, []);
            readable[identity].AddRange(secrets);
        }

        return readable;
    }

    /// <summary>The Key Vault secrets an app's configuration names (those named literally; the migrate step's come from a module).</summary>
    private static IEnumerable<string> KeyVaultReferences(ArmDeployment main, string app)
    {
        var configuration = (Dictionary<string, object?>)ContainerApp(main.Descendant(app)).Properties["configuration"]!;
        foreach (var secret in ((List<object?>)configuration["secrets"]!).Cast<Dictionary<string, object?>>())
        {
            var url = ArmExpression.Render(secret["keyVaultUrl"]);
            if (SecretNameAtEnd().Match(url) is { Success: true } name)
            {
                yield return name.Groups[1].Value;
            }
        }
    }

    private static List<Dictionary<string, object?>> ScaleRules(Dictionary<string, object?> properties) =>
        (((Dictionary<string, object?>)((Dictionary<string, object?>)properties["template"]!)["scale"]!).GetValueOrDefault("rules") as List<object?> ?? [])
        .Cast<Dictionary<string, object?>>().ToList();

    private static Dictionary<string, object?> Env(ArmResource app)
    {
        var template = (Dictionary<string, object?>)app.Properties["template"]!;
        var container = (Dictionary<string, object?>)((List<object?>)template["containers"]!)[0]!;
        return ((List<object?>)container["env"]!).Cast<Dictionary<string, object?>>()
            .ToDictionary(e => (string)e["name"]!, e => e.GetValueOrDefault("value") ?? e.GetValueOrDefault("secretRef"));
    }

    private static string Serialized(object? value) => System.Text.Json.JsonSerializer.Serialize(value);

    [GeneratedRegex(@"Microsoft\.Resources/deployments', '([^']+)'")]
    private static partial Regex DeploymentNamed();

    [GeneratedRegex(@"'([^']+)'\)$")]
    private static partial Regex LastQuoted();

    [GeneratedRegex(@"secrets/([a-z0-9-]+)$")]
    private static partial Regex SecretNameAtEnd();

    [GeneratedRegex(@"^.+\.hostName:(?:10000|.+\.port),password=.+\.primaryKey,ssl=True,abortConnect=False$")]
    private static partial Regex ConnectionStringShape();
}
