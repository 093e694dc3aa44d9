using System.Diagnostics;
using Kavach.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Kavach.UnitTests.ServiceDefaults.Telemetry;

/// <summary>
/// A service with the real service defaults (sampler, promoter, instrumentation) and an in-memory exporter added after
/// them, as the OTLP and Azure Monitor exporters are. Its own spans come from a source of its own, which no other
/// test's tracer provider listens to, so tests running in parallel cannot change their sampling (request spans come
/// from ASP.NET Core's one source: tests of those must not run in parallel with others).
/// </summary>
public sealed class TracedService : IAsyncDisposable
{
    private readonly SpanList _exported = new();
    private readonly SpanList _ended = new();
    private readonly ActivitySource _source = new($"Kavach.UnitTests.Tracing.{Guid.NewGuid():N}");

    public TracedService(string environment, IDictionary<string, string?> settings, Action<WebApplication>? mapRoutes = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
            ["OTEL_TRACES_SAMPLER"] = "",
            [Extensions.AzureMonitorConnectionStringKey] = "",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults("Kavach.StreamApi");
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddSource(_source.Name)
            .AddInMemoryExporter(_exported)
            .AddProcessor(new EndedSpans(_ended)));
        App = builder.Build();
        mapRoutes?.Invoke(App);
        Provider = App.Services.GetRequiredService<TracerProvider>();
    }

    public WebApplication App { get; }

    public TracerProvider Provider { get; }

    /// <summary>Starts a span of this service's source; a new trace unless <paramref name="parent"/> is given.</summary>
    public Activity? Start(string name, ActivityContext parent = default, IEnumerable<ActivityLink>? links = null)
    {
        if (parent == default)
        {
            Activity.Current = null;
        }

        return _source.StartActivity(name, ActivityKind.Internal, parent, links: links);
    }

    /// <summary>Ends the span as if it had taken <paramref name="took"/>.</summary>
    public static void End(Activity? span, TimeSpan took)
    {
        Assert.IsNotNull(span);
        span.SetEndTime(span.StartTimeUtc + took);
        span.Dispose();
    }

    /// <summary>The names of the spans the exporter was given.</summary>
    public IReadOnlyList<string> ExportedNames()
    {
        Assert.IsTrue(Provider.ForceFlush(10_000));
        return [.. _exported.Snapshot().Select(span => span.DisplayName)];
    }

    /// <summary>The spans the exporter was given.</summary>
    public IReadOnlyList<Activity> Exported()
    {
        Assert.IsTrue(Provider.ForceFlush(10_000));
        return _exported.Snapshot();
    }

    /// <summary>Waits until every named span has ended (recorded, whether or not exported).</summary>
    public async Task WaitUntilEndedAsync(IReadOnlyCollection<string> names, CancellationToken cancellation)
    {
        var deadline = Stopwatch.StartNew();
        while (!names.All(name => _ended.Snapshot().Any(span => span.DisplayName == name)))
        {
            Assert.IsLessThan(TimeSpan.FromSeconds(10), deadline.Elapsed, $"spans ended: {string.Join(", ", _ended.Snapshot().Select(s => s.DisplayName))}");
            await Task.Delay(10, cancellation);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        _source.Dispose();
    }
}

/// <summary>Spans added from several threads (the exporter's, request threads) and read by the test.</summary>
internal sealed class SpanList : System.Collections.ObjectModel.Collection<Activity>
{
    public Activity[] Snapshot()
    {
        lock (this)
        {
            return [.. this];
        }
    }

    protected override void InsertItem(int index, Activity item)
    {
        lock (this)
        {
            base.InsertItem(index, item);
        }
    }
}

/// <summary>Every span that ends recorded, sampled or not; it runs after the exporter, so an ended span was offered to it.</summary>
internal sealed class EndedSpans(SpanList ended) : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data) => ended.Add(data);
}
