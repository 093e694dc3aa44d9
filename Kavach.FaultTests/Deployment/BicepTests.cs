using System.Text.RegularExpressions;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// infra/ compiles and lints clean with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64, restored by this
/// project's PackageDownload): the CLI carries Azure's resource types, so property names and types are checked
/// offline. 0 errors and 0 warnings, every file.
/// </summary>
[TestClass]
public sealed partial class BicepTests
{
    public TestContext TestContext { get; set; } = null!;

    private static string Infra => Path.Combine(SuiteSettings.RepositoryRoot, "infra");

    public static IEnumerable<object[]> BicepFiles() =>
        Directory.EnumerateFiles(Path.Combine(SuiteSettings.RepositoryRoot, "infra"), "*.bicep", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => new object[] { Path.GetRelativePath(SuiteSettings.RepositoryRoot, path) });

    [TestMethod]
    [DynamicData(nameof(BicepFiles))]
    public async Task EveryFileBuildsAndLintsWithoutWarnings(string file)
    {
        var path = Path.Combine(SuiteSettings.RepositoryRoot, file);
        var build = await RunBicepAsync("build", path, "--stdout");
        Assert.AreEqual(0, build.ExitCode, build.Diagnostics);
        Assert.AreEqual("", build.Diagnostics, $"bicep build {file}");
        var lint = await RunBicepAsync("lint", path);
        Assert.AreEqual(0, lint.ExitCode, lint.Diagnostics);
        Assert.AreEqual("", lint.Diagnostics, $"bicep lint {file}");
    }

    [TestMethod]
    public async Task MainCompilesToOneTemplateWithEveryModule()
    {
        var build = await RunBicepAsync("build", Path.Combine(Infra, "main.bicep"), "--stdout");
        Assert.AreEqual(0, build.ExitCode, build.Diagnostics);
        foreach (var type in new[]
                 {
                     "Microsoft.OperationalInsights/workspaces", "Microsoft.Insights/components", "Microsoft.App/managedEnvironments",
                     "Microsoft.App/managedEnvironments/dotNetComponents", "Microsoft.ContainerRegistry/registries",
                     "Microsoft.ManagedIdentity/userAssignedIdentities", "Microsoft.Network/virtualNetworks",
                     "Microsoft.Network/privateDnsZones", "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                     "Microsoft.Network/privateEndpoints", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
                     "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.Cache/redisEnterprise",
                     "Microsoft.Cache/redisEnterprise/databases", "Microsoft.KeyVault/vaults", "Microsoft.KeyVault/vaults/secrets",
                     "Microsoft.App/containerApps", "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies",
                 })
        {
            StringAssert.Contains(build.Output, $"\"type\": \"{type}\"", $"main.bicep deploys no {type}");
        }
    }

    /// <summary>azd fills main.bicep's parameters from main.parameters.json: every name there must be a parameter, and every
    /// parameter without a default must be there.</summary>
    [TestMethod]
    public async Task TheParametersFileMatchesMainsParameters()
    {
        var build = await RunBicepAsync("build", Path.Combine(Infra, "main.bicep"), "--stdout");
        var declared = System.Text.Json.Nodes.JsonNode.Parse(build.Output)!["parameters"]!.AsObject();
        var given = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Infra, "main.parameters.json"), TestContext.CancellationToken))!["parameters"]!.AsObject();
        foreach (var (name, _) in given)
        {
            Assert.IsTrue(declared.ContainsKey(name), $"main.parameters.json gives '{name}', which main.bicep does not declare");
        }

        foreach (var (name, parameter) in declared)
        {
            Assert.IsTrue(given.ContainsKey(name) || parameter!.AsObject().ContainsKey("defaultValue"), $"main.bicep's '{name}' has no default and no value in main.parameters.json");
        }
    }

    /// <summary>The rehearsal (AcaRehearsalTests) runs the apps with the settings the Bicep gives them: the same keys.</summary>
    [TestMethod]
    [DataRow("streamApi")]
    [DataRow("console")]
    public void TheRehearsalConfiguresEveryKeyTheBicepSets(string module)
    {
        var resources = File.ReadAllText(Path.Combine(Infra, "resources.bicep"));
        var block = Regex.Match(resources, $@"module {module} 'modules/container-app.bicep' = \{{(.*?)\n\}}", RegexOptions.Singleline);
        Assert.IsTrue(block.Success, $"no module {module} in resources.bicep");
        var shared = Regex.Match(resources, @"var ingressSettings = \[(.*?)\n\]", RegexOptions.Singleline).Groups[1].Value;
        var bicepKeys = EnvName().Matches(block.Groups[1].Value + shared).Select(m => m.Groups[1].Value).ToHashSet();

        var rehearsal = module == "console" ? AcaSettings.ConsoleKeys : AcaSettings.StreamApiKeys;
        CollectionAssert.AreEquivalent(bicepKeys.Order().ToList(), rehearsal.Order().ToList(),
            $"Bicep sets {string.Join(", ", bicepKeys.Order())}; the rehearsal sets {string.Join(", ", rehearsal.Order())}");
    }

    /// <summary>The API's init container (the migrate step) gets the keys the rehearsal runs the step with.</summary>
    [TestMethod]
    public void TheRehearsalRunsTheMigrateStepWithEveryKeyTheBicepSets()
    {
        var resources = File.ReadAllText(Path.Combine(Infra, "resources.bicep"));
        var step = Regex.Match(resources, @"var migrateStep = (.*?)\n\]", RegexOptions.Singleline);
        Assert.IsTrue(step.Success, "no migrateStep in resources.bicep");
        var bicepKeys = EnvName().Matches(step.Groups[1].Value).Select(m => m.Groups[1].Value).Order().ToList();
        CollectionAssert.AreEquivalent(bicepKeys, AcaSettings.MigrateKeys.Order().ToList(),
            $"Bicep sets {string.Join(", ", bicepKeys)}; the rehearsal sets {string.Join(", ", AcaSettings.MigrateKeys.Order())}");
    }

    [GeneratedRegex(@"\{ name: '([A-Za-z0-9_]+)', (?:value|secretRef):")]
    private static partial Regex EnvName();

    private static Task<(int ExitCode, string Output, string Diagnostics)> RunBicepAsync(params string[] arguments) =>
        BicepCli.RunAsync(Infra, arguments);
}
