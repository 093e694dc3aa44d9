using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kavach.UnitTests.AppHost;

/// <summary>How the AppHost chooses and checks its infrastructure; these build the app model without starting it.</summary>
[TestClass]
public sealed class InfrastructureChoiceTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>
    /// The model as AppHost.cs builds it, with nothing started. Once built, the AppHost's own entry point goes on to
    /// run the app in the background; left alone, that start races the disposal here and sometimes holds it for the
    /// host's 30 s shutdown timeout. Stopping in the first BeforeStart handler ends the entry point before any hosted
    /// service (DCP, PostgreSQL, Redis) starts, and disposal waits for exactly that.
    /// </summary>
    private static async Task<DistributedApplicationModel> ModelAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Kavach_AppHost>(args);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            e.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            return Task.FromCanceled(new CancellationToken(canceled: true));
        });
        await using var app = await builder.BuildAsync();
        return app.Services.GetRequiredService<DistributedApplicationModel>();
    }

    /// <summary>A resource's environment as a manifest writes it: references as expressions, nothing resolved or started.</summary>
    private static async Task<Dictionary<string, string?>> EnvironmentAsync(IResource resource)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish));
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables.ToDictionary(v => v.Key, v => v.Value switch
        {
            string text => text,
            IManifestExpressionProvider expression => expression.ValueExpression,
            _ => v.Value?.ToString(),
        });
    }

    private static string TempDataDirectory() => Path.Combine(Path.GetTempPath(), $"kavach-model-{Guid.NewGuid():N}");

    /// <summary>A search path with no programs on it (PostgreSQL is still found in its Debian directory).</summary>
    private const string NothingOnSearchPath = "Kavach:SearchPath=/usr/bin/nonexistent";

    private static void DeleteIfCreated(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("Kavach:Infrastructure=kubernetes", "Kavach:Infrastructure")]
    [DataRow("Kavach:Postgres:BinDirectory=/nonexistent/bin", "Kavach:Postgres:BinDirectory")]
    [DataRow("Kavach:Postgres:DataDirectory=/proc/kavach", "Kavach:Postgres:DataDirectory")]
    [DataRow("Kavach:Azurite:Binary=/nonexistent/azurite-blob", "Kavach:Azurite:Binary")]
    [DataRow("Kavach:Witness:DataDirectory=relative/witness", "Kavach:Witness:DataDirectory")]
    public async Task BadSettingStopsStartupNamingIt(string setting, string named)
    {
        var failure = await Assert.ThrowsAsync<DistributedApplicationException>(() => ModelAsync("Kavach:Infrastructure=local", setting));
        StringAssert.Contains(failure.Message, named);
    }

    [TestMethod]
    public async Task LocalModeRunsPostgresAndRedisAsProcessesWithHealthChecks()
    {
        var dataDirectory = TempDataDirectory();
        try
        {
            var model = await ModelAsync("Kavach:Infrastructure=local", $"Kavach:Postgres:DataDirectory={dataDirectory}");

            foreach (var name in new[] { "postgres", "redis" })
            {
                var resource = model.Resources.Single(r => r.Name == name);
                Assert.IsInstanceOfType<ExecutableResource>(resource, name);
                Assert.IsTrue(resource.TryGetAnnotationsOfType<HealthCheckAnnotation>(out _), $"{name} has no health check, so WaitFor would not wait");
            }

            var api = model.Resources.Single(r => r.Name == "streamapi");
            Assert.AreEqual(2, api.Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [TestMethod]
    public async Task TheApiWitnessesItsCheckpointsInAzuriteRunAsAProcess()
    {
        var azurite = Path.Combine(Path.GetTempPath(), $"azurite-blob-{Guid.NewGuid():N}");
        var dataDirectory = TempDataDirectory();
        await File.WriteAllTextAsync(azurite, "#!/bin/sh\n", TestContext.CancellationToken);
        try
        {
            var model = await ModelAsync("Kavach:Infrastructure=local", $"Kavach:Postgres:DataDirectory={dataDirectory}", $"Kavach:Azurite:Binary={azurite}");

            var witness = model.Resources.Single(r => r.Name == "witness");
            Assert.IsInstanceOfType<ExecutableResource>(witness);
            Assert.IsTrue(witness.TryGetAnnotationsOfType<HealthCheckAnnotation>(out _), "the API would start before Azurite answers");
            var api = model.Resources.Single(r => r.Name == "streamapi");
            Assert.IsTrue(api.Annotations.OfType<WaitAnnotation>().Any(w => w.Resource == witness));
            var environment = await EnvironmentAsync(api);
            Assert.AreEqual("{witness.connectionString}", environment["ConnectionStrings__witness"]);
        }
        finally
        {
            File.Delete(azurite);
            DeleteIfCreated(dataDirectory);
        }
    }

    [TestMethod]
    public async Task WithoutAzuriteTheWitnessIsAnAppendOnlyFile()
    {
        var dataDirectory = TempDataDirectory();
        var witnessDirectory = TempDataDirectory();
        try
        {
            // No node, so no Azurite.
            var model = await ModelAsync("Kavach:Infrastructure=local", NothingOnSearchPath, $"Kavach:Postgres:DataDirectory={dataDirectory}",
                $"Kavach:Witness:DataDirectory={witnessDirectory}");

            Assert.IsFalse(model.Resources.Any(r => r.Name == "witness"));
            var environment = await EnvironmentAsync(model.Resources.Single(r => r.Name == "streamapi"));
            Assert.AreEqual(Path.Combine(witnessDirectory, "checkpoints.jsonl"), environment["Kavach__Integrity__Witness__Path"]);
            Assert.IsFalse(Directory.Exists(witnessDirectory), "building the model creates nothing; the witness does, when it starts");
        }
        finally
        {
            DeleteIfCreated(dataDirectory);
            DeleteIfCreated(witnessDirectory);
        }
    }

    [TestMethod]
    public async Task ContainerModeUsesAspiresContainerResourcesWithVolumes()
    {
        var model = await ModelAsync("Kavach:Infrastructure=containers");

        foreach (var name in new[] { "postgres", "redis" })
        {
            var resource = model.Resources.Single(r => r.Name == name);
            Assert.IsInstanceOfType<ContainerResource>(resource, name);
            Assert.IsTrue(resource.Annotations.OfType<ContainerMountAnnotation>().Any(m => m.Type == ContainerMountType.Volume), $"{name} has no data volume");
        }

        Assert.IsTrue(model.Resources.Any(r => r.Name == "kavachdb"));
    }

    [TestMethod]
    [DataRow("Kavach:Infrastructure=local")]
    [DataRow("Kavach:Infrastructure=containers")]
    public async Task TheReplicasWaitForTheMigrateStepAndOnlyItGetsTheOwnersConnection(string infrastructure)
    {
        var dataDirectory = TempDataDirectory();
        try
        {
            var model = await ModelAsync(infrastructure, $"Kavach:Postgres:DataDirectory={dataDirectory}");
            var api = model.Resources.OfType<ProjectResource>().Single(r => r.Name == "streamapi");
            var migrate = model.Resources.OfType<ProjectResource>().Single(r => r.Name == "migrate");

            Assert.IsTrue(api.Annotations.OfType<WaitAnnotation>().Any(w => w.Resource == migrate && w.WaitType == WaitType.WaitForCompletion),
                "the replicas start before the schema is migrated and their role granted");
            // Each variable as a manifest expression: which resource's value it takes, with nothing started. (Its replacement,
            // ExecutionConfigurationBuilder, resolves values, which needs allocated endpoints.)
#pragma warning disable CS0618
            var apiEnvironment = await api.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
            var migrateEnvironment = await migrate.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
            Assert.AreEqual("{kavachdb.connectionString}", apiEnvironment["ConnectionStrings__kavachdb"]);
            Assert.IsFalse(apiEnvironment.Values.Any(v => v.Contains("owner", StringComparison.Ordinal)), "a replica holds the owner's credentials");
            Assert.AreEqual("{kavachdb-owner.connectionString}", migrateEnvironment["ConnectionStrings__kavachdb"]);
            Assert.AreEqual("kavach_app", migrateEnvironment["Kavach__Database__AppRole"]);
            Assert.AreEqual("{kavachdb-app-password.value}", migrateEnvironment["Kavach__Database__AppRolePassword"]);
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task LocalPostgresKeepsItsPasswordsBesideTheDataReadableByItsOwnerOnly()
    {
        var dataDirectory = TempDataDirectory();
        try
        {
            await ModelAsync("Kavach:Infrastructure=local", $"Kavach:Postgres:DataDirectory={dataDirectory}");

            foreach (var file in new[] { "superuser-password", "owner-password", "app-password" })
            {
                var path = Path.Combine(dataDirectory, file);
                Assert.IsTrue(File.Exists(path), file);
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path), file);
            }
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [TestMethod]
    public async Task WithoutRedisTheApiRunsAsOneReplica()
    {
        var dataDirectory = TempDataDirectory();
        try
        {
            var model = await ModelAsync("Kavach:Infrastructure=local", NothingOnSearchPath, $"Kavach:Postgres:DataDirectory={dataDirectory}");

            Assert.IsFalse(model.Resources.Any(r => r.Name == "redis"));
            Assert.AreEqual(1, model.Resources.Single(r => r.Name == "streamapi").Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
