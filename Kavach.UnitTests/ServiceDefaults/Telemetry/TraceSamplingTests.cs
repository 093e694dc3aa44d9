using System.Diagnostics;
using Kavach.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Kavach.UnitTests.ServiceDefaults.Telemetry;

/// <summary>
/// Traces cost little and still show what matters: a ratio of new traces is exported, and every span that failed or
/// was slow; children follow their parent; a commit is exported with the sampled emits it links to.
/// </summary>
[TestClass]
public sealed class TraceSamplingTests
{
    private static readonly ActivityContext SampledCaller = new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(),
        ActivityTraceFlags.Recorded);

    private static readonly ActivityContext UnsampledCaller = new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(),
        ActivityTraceFlags.None);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task WithRatioZeroAnOrdinarySpanIsRecordedButNotExported()
    {
        await using var service = Production(ratio: "0");
        var span = service.Start("ordinary");
        Assert.IsNotNull(span);
        Assert.IsTrue(span.IsAllDataRequested, "recorded, so it could still be promoted");
        TracedService.End(span, TimeSpan.FromMilliseconds(20));
        CollectionAssert.DoesNotContain(service.ExportedNames().ToList(), "ordinary");
    }

    [TestMethod]
    public async Task WithRatioZeroASpanThatEndsInErrorIsExported()
    {
        await using var service = Production(ratio: "0");
        var span = service.Start("failed");
        span?.SetStatus(ActivityStatusCode.Error, "boom");
        TracedService.End(span, TimeSpan.FromMilliseconds(20));
        CollectionAssert.Contains(service.ExportedNames().ToList(), "failed");
    }

    [TestMethod]
    public async Task WithRatioZeroASpanAnsweredWithAServerErrorIsExported()
    {
        await using var service = Production(ratio: "0");
        var span = service.Start("answered 503");
        span?.SetTag("http.response.status_code", 503);
        TracedService.End(span, TimeSpan.FromMilliseconds(20));
        var client = service.Start("answered 404");
        client?.SetTag("http.response.status_code", 404);
        TracedService.End(client, TimeSpan.FromMilliseconds(20));
        var exported = service.ExportedNames().ToList();
        CollectionAssert.Contains(exported, "answered 503");
        CollectionAssert.DoesNotContain(exported, "answered 404");
    }

    [TestMethod]
    public async Task WithRatioZeroASlowSpanIsExportedAndOneJustUnderTheThresholdIsNot()
    {
        await using var service = Production(ratio: "0");
        TracedService.End(service.Start("slow"), TraceSampling.DefaultSlowSpan);
        TracedService.End(service.Start("almost slow"), TraceSampling.DefaultSlowSpan - TimeSpan.FromMilliseconds(1));
        var exported = service.ExportedNames().ToList();
        CollectionAssert.Contains(exported, "slow");
        CollectionAssert.DoesNotContain(exported, "almost slow");
    }

    [TestMethod]
    public async Task TheSlowThresholdIsRead()
    {
        await using var service = Production(ratio: "0", slowSpan: "00:00:05");
        TracedService.End(service.Start("two seconds"), TimeSpan.FromSeconds(2));
        TracedService.End(service.Start("six seconds"), TimeSpan.FromSeconds(6));
        var exported = service.ExportedNames().ToList();
        CollectionAssert.Contains(exported, "six seconds");
        CollectionAssert.DoesNotContain(exported, "two seconds");
    }

    [TestMethod]
    public async Task AChildOfASampledParentIsExportedAndOneOfAnUnsampledLocalParentIsNotEvenRecorded()
    {
        await using var service = Production(ratio: "0");
        TracedService.End(service.Start("child of sampled", SampledCaller), TimeSpan.FromMilliseconds(5));

        var unsampled = service.Start("unsampled parent");
        Assert.IsNotNull(unsampled);
        var child = service.Start("child of unsampled", unsampled.Context);
        Assert.IsFalse(child?.IsAllDataRequested ?? false, "an unsampled request costs its one span");
        child?.Dispose();
        TracedService.End(unsampled, TimeSpan.FromMilliseconds(5));

        var exported = service.ExportedNames().ToList();
        CollectionAssert.Contains(exported, "child of sampled");
        CollectionAssert.DoesNotContain(exported, "child of unsampled");
        CollectionAssert.DoesNotContain(exported, "unsampled parent");
    }

    [TestMethod]
    public async Task AChildOfAnUnsampledRemoteCallerIsRecordedSoItsErrorsAreExported()
    {
        await using var service = Production(ratio: "0");
        var span = service.Start("remote caller's request", new ActivityContext(UnsampledCaller.TraceId, UnsampledCaller.SpanId,
            ActivityTraceFlags.None, isRemote: true));
        span?.SetStatus(ActivityStatusCode.Error);
        TracedService.End(span, TimeSpan.FromMilliseconds(5));
        CollectionAssert.Contains(service.ExportedNames().ToList(), "remote caller's request");
    }

    [TestMethod]
    public async Task ACommitIsExportedWhenItLinksToASampledEmitAndOnlyThen()
    {
        await using var service = Production(ratio: "0");
        TracedService.End(service.Start("commit with a sampled emit", links: [new(UnsampledCaller), new(SampledCaller)]),
            TimeSpan.FromMilliseconds(5));
        TracedService.End(service.Start("commit of unsampled emits", links: [new(UnsampledCaller)]), TimeSpan.FromMilliseconds(5));
        var exported = service.ExportedNames().ToList();
        CollectionAssert.Contains(exported, "commit with a sampled emit");
        CollectionAssert.DoesNotContain(exported, "commit of unsampled emits");
    }

    [TestMethod]
    public async Task WithRatioOneEverySpanIsExported()
    {
        await using var service = Production(ratio: "1");
        TracedService.End(service.Start("first"), TimeSpan.FromMilliseconds(5));
        TracedService.End(service.Start("second"), TimeSpan.FromMilliseconds(5));
        TracedService.End(service.Start("commit", links: [new(UnsampledCaller)]), TimeSpan.FromMilliseconds(5));
        CollectionAssert.AreEquivalent(new[] { "first", "second", "commit" }, service.ExportedNames().ToList());
    }

    [TestMethod]
    public async Task WithARatioInBetweenAboutThatShareOfNewTracesIsExported()
    {
        await using var service = Production(ratio: "0.25");
        for (var i = 0; i < 2000; i++)
        {
            TracedService.End(service.Start("request"), TimeSpan.FromMilliseconds(5));
        }

        Assert.IsInRange(400, 600, service.ExportedNames().Count);
    }

    [TestMethod]
    public async Task DevelopmentExportsEveryTraceByDefault()
    {
        await using var service = new TracedService(Environments.Development, new Dictionary<string, string?>());
        TracedService.End(service.Start("local request"), TimeSpan.FromMilliseconds(5));
        CollectionAssert.Contains(service.ExportedNames().ToList(), "local request");
    }

    [TestMethod]
    public void TheDefaultsAreAFractionInProductionAndEverythingInDevelopment()
    {
        var empty = new ConfigurationBuilder().Build();
        Assert.AreEqual(new TraceSampling(0.05, TimeSpan.FromSeconds(1)), TraceSampling.From(empty, Environment(Environments.Production)));
        Assert.AreEqual(new TraceSampling(1.0, TimeSpan.FromSeconds(1)), TraceSampling.From(empty, Environment(Environments.Development)));
    }

    [TestMethod]
    [DataRow(TraceSampling.RatioKey, "1.5")]
    [DataRow(TraceSampling.RatioKey, "-0.1")]
    [DataRow(TraceSampling.RatioKey, "NaN")]
    [DataRow(TraceSampling.SlowSpanKey, "00:00:00")]
    public void AnOutOfRangeSettingStopsTheStartNamingItsKey(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var failure = Assert.Throws<InvalidOperationException>(() => TraceSampling.From(configuration, Environment(Environments.Production)));
        Assert.Contains(key, failure.Message);
    }

    [TestMethod]
    public async Task TheStandardSamplerVariableReplacesOurs()
    {
        await using var alwaysOn = Production(ratio: "0", standardSampler: "always_on");
        TracedService.End(alwaysOn.Start("ordinary"), TimeSpan.FromMilliseconds(5));
        CollectionAssert.Contains(alwaysOn.ExportedNames().ToList(), "ordinary");

        await using var ratio = Production(ratio: "1", standardSampler: "parentbased_traceidratio", standardSamplerArgument: "0");
        TracedService.End(ratio.Start("ordinary"), TimeSpan.FromMilliseconds(5));
        CollectionAssert.DoesNotContain(ratio.ExportedNames().ToList(), "ordinary");
    }

    [TestMethod]
    [DoNotParallelize] // request spans come from ASP.NET Core's one source, which every in-process service's tracing samples too
    public async Task WithRatioZeroAFailedRequestIsExportedAndAnOrdinaryOneIsNot()
    {
        var prefix = $"/t{Guid.NewGuid():N}";
        await using var service = Production(ratio: "0", mapRoutes: app =>
        {
            app.MapGet($"{prefix}/ok", () => Results.Ok());
            app.MapGet($"{prefix}/fail", () => Results.StatusCode(StatusCodes.Status500InternalServerError));
        });
        await service.App.StartAsync(TestContext.CancellationToken);
        var client = service.App.GetTestClient();

        Assert.AreEqual(200, (int)(await client.GetAsync($"{prefix}/ok", TestContext.CancellationToken)).StatusCode);
        Assert.AreEqual(500, (int)(await client.GetAsync($"{prefix}/fail", TestContext.CancellationToken)).StatusCode);
        await service.WaitUntilEndedAsync([$"GET {prefix}/ok", $"GET {prefix}/fail"], TestContext.CancellationToken);

        var exported = service.ExportedNames().ToList();
        CollectionAssert.Contains(exported, $"GET {prefix}/fail");
        CollectionAssert.DoesNotContain(exported, $"GET {prefix}/ok");
        await service.App.StopAsync(TestContext.CancellationToken);
    }

    [TestMethod]
    [DoNotParallelize] // request spans come from ASP.NET Core's one source, which every in-process service's tracing samples too
    public async Task APromotedRequestSpanCarriesNoTokenFromItsQuery()
    {
        // The attacker's view: spans not picked by the ratio are still exported when they fail or are slow (every stream is),
        // and a stream's token may travel in its query. What is exported must not hold it, whichever path exported it.
        var prefix = $"/t{Guid.NewGuid():N}";
        const string Token = "eyJhbGciOiJIUzI1NiJ9.secret-claims.secret-signature";
        var settings = new Dictionary<string, string?>
        {
            [TraceSampling.RatioKey] = "0",
            [TraceSampling.SlowSpanKey] = "00:00:00.050",
            // As the AppHost runs a project: the instrumentation's own query redaction is off, so only ours stands.
            ["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION"] = "true",
        };
        await using var service = new TracedService(Environments.Production, settings, app =>
        {
            app.MapGet($"{prefix}/fail", () => Results.StatusCode(StatusCodes.Status500InternalServerError));
            app.MapGet($"{prefix}/slow", async () =>
            {
                await Task.Delay(100);
                return Results.Ok();
            });
        });
        await service.App.StartAsync(TestContext.CancellationToken);
        var client = service.App.GetTestClient();

        await client.GetAsync($"{prefix}/fail?access_token={Token}", TestContext.CancellationToken);
        await client.GetAsync($"{prefix}/slow?types=agent.created&access_token={Token}", TestContext.CancellationToken);
        await service.WaitUntilEndedAsync([$"GET {prefix}/fail", $"GET {prefix}/slow"], TestContext.CancellationToken);

        var exported = service.Exported().Where(span => span.DisplayName.StartsWith($"GET {prefix}", StringComparison.Ordinal)).ToList();
        Assert.HasCount(2, exported, "both the failed and the slow request are promoted");
        foreach (var span in exported)
        {
            foreach (var (key, value) in span.TagObjects)
            {
                Assert.DoesNotContain("secret", value?.ToString() ?? "", $"{span.DisplayName}: tag {key}");
            }
        }

        await service.App.StopAsync(TestContext.CancellationToken);
    }

    private static TracedService Production(string ratio, string? slowSpan = null, string? standardSampler = null,
        string? standardSamplerArgument = null, Action<WebApplication>? mapRoutes = null) =>
        new(Environments.Production, new Dictionary<string, string?>
        {
            [TraceSampling.RatioKey] = ratio,
            [TraceSampling.SlowSpanKey] = slowSpan,
            [TraceSampling.StandardSamplerKey] = standardSampler,
            ["OTEL_TRACES_SAMPLER_ARG"] = standardSamplerArgument,
        }, mapRoutes);

    private static Microsoft.Extensions.Hosting.Internal.HostingEnvironment Environment(string name) => new() { EnvironmentName = name };
}
