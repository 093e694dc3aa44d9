using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Demo;
using Kavach.Dashboard.Services.Destinations;
using Kavach.Dashboard.Services.Feed;
using Kavach.Dashboard.Services.History;
using Kavach.Dashboard.Services.Upstream;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Apis;

/// <summary>The console's own HTTP surface beside its pages: exports, feed status, and Development-only controls.</summary>
public static class ConsoleApi
{
    public static WebApplication MapConsoleApi(this WebApplication app)
    {
        app.MapGet("/history/export", ExportAsync).WithName("ExportHistory")
            .WithSummary("The history page as shown, as a JSON or CSV download");
        app.MapHistoryExportApi();
        app.MapGet("/api/console/feed", GetFeedStatus).WithName("GetFeedStatus")
            .WithSummary("What the console's shared feed holds and how its upstream connection is");
        app.MapGet("/api/console/destinations", GetDestinations).WithName("GetConsoleDestinations")
            .WithSummary("The push destinations as the console last read them, and whether that read worked");
        app.MapPost("/api/console/destinations/{id:guid}/pause", PauseDestinationAsync).WithName("PauseDestination")
            .WithSummary("Pause a push destination through the API (with a reason)").AddEndpointFilter<RequireConsoleHeader>()
            .RequireAuthorization(ConsolePolicies.Administer);
        app.MapPost("/api/console/destinations/{id:guid}/resume", ResumeDestinationAsync).WithName("ResumeDestination")
            .WithSummary("Resume a push destination: it goes on from its cursor").AddEndpointFilter<RequireConsoleHeader>()
            .RequireAuthorization(ConsolePolicies.Administer);
        app.MapPost("/api/console/destinations/{id:guid}/redeliver", RedeliverDestinationAsync).WithName("RedeliverDestination")
            .WithSummary("Send a push destination everything again from a sequence").AddEndpointFilter<RequireConsoleHeader>()
            .RequireAuthorization(ConsolePolicies.Administer);

        if (app.Services.GetRequiredService<IOptions<StreamApiOptions>>().Value.EnableDemoTraffic)
        {
            app.MapPost("/api/demo/traffic", StartDemoTraffic).WithName("StartDemoTraffic")
                .WithSummary("Development: emit realistic traffic of all 12 event types for a while (default 60 s)")
                .AddEndpointFilter<RequireConsoleHeader>()
                .RequireAuthorization(ConsoleAccess.DemoControlPolicy);
            app.MapDelete("/api/demo/traffic", StopDemoTraffic).WithName("StopDemoTraffic")
                .RequireAuthorization(ConsoleAccess.DemoControlPolicy);
        }

        if (app.Environment.IsDevelopment())
        {
            app.MapPost("/api/console/upstream/drop", DropUpstream).WithName("DropUpstream")
                .WithSummary("Development: drop the upstream SSE connection to exercise reconnect with Last-Event-ID")
                .AddEndpointFilter<RequireConsoleHeader>()
                .RequireAuthorization(ConsoleAccess.DemoControlPolicy);
        }

        return app;
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAsync(
        string? format, string? from, string? to, string? types, string? agentId, string? after, string? userId, string? q,
        StreamApiClient api, CancellationToken cancellationToken)
    {
        var parameters = HistoryParameters.Parse(from, to, types, agentId, after, userId, q);
        EventPage page;
        try
        {
            page = await api.GetPageAsync(parameters.ToQuery(), cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return TypedResults.Problem($"The stream API could not be read: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
        }

        var name = $"kavach-events-{page.Events.FirstOrDefault()?.Sequence ?? 0}-{page.Events.LastOrDefault()?.Sequence ?? 0}";
        return format?.ToLowerInvariant() switch
        {
            "csv" => TypedResults.File(System.Text.Encoding.UTF8.GetBytes(EventExport.ToCsv(page.Events)), "text/csv; charset=utf-8", $"{name}.csv"),
            null or "" or "json" => TypedResults.File(System.Text.Encoding.UTF8.GetBytes(EventExport.ToJson(page.Events)), "application/json", $"{name}.json"),
            _ => TypedResults.Problem("Unknown export format: use format=json or format=csv.", statusCode: StatusCodes.Status400BadRequest),
        };
    }

    public static Ok<FeedStatus> GetFeedStatus(EventFeed feed, UpstreamStatusBoard upstream, AlertsWatcher alerts)
    {
        var snapshot = feed.Snapshot();
        return TypedResults.Ok(new FeedStatus(
            snapshot.Events.Count, snapshot.Received, snapshot.DuplicatesDropped, snapshot.LastSequence,
            alerts.State.Open.Count, upstream.Current));
    }

    public static Ok<DestinationsState> GetDestinations(DestinationsWatcher watcher) => TypedResults.Ok(watcher.State);

    // The bodies are read inside the handlers, after RequireConsoleHeader: a cross-site form post is refused for its
    // missing header, not for its content type.
    public static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> PauseDestinationAsync(
        Guid id, HttpRequest request, DestinationsClient api, DestinationsWatcher watcher, CancellationToken cancellationToken)
    {
        var pause = request.ContentLength is 0 or null && !request.Headers.TransferEncoding.Any()
            ? new PauseRequest()
            : await ReadBodyAsync<PauseRequest>(request, cancellationToken);
        return pause is null
            ? BadBody("{\"reason\":\"why\"} (or no body)")
            : await ActOnDestinationAsync(() => api.PauseAsync(id, pause.Reason, cancellationToken), watcher);
    }

    public static Task<Results<Ok<DestinationView>, ProblemHttpResult>> ResumeDestinationAsync(
        Guid id, DestinationsClient api, DestinationsWatcher watcher, CancellationToken cancellationToken) =>
        ActOnDestinationAsync(() => api.ResumeAsync(id, cancellationToken), watcher);

    public static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> RedeliverDestinationAsync(
        Guid id, HttpRequest request, DestinationsClient api, DestinationsWatcher watcher, CancellationToken cancellationToken) =>
        await ReadBodyAsync<RedeliverRequest>(request, cancellationToken) is { } redeliver
            ? await ActOnDestinationAsync(() => api.RedeliverAsync(id, redeliver.FromSequence, cancellationToken), watcher)
            : BadBody("{\"fromSequence\":N}");

    private static async Task<T?> ReadBodyAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await request.ReadFromJsonAsync<T>(KavachJson.Options, cancellationToken);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static ProblemHttpResult BadBody(string expected) =>
        TypedResults.Problem($"Send a JSON body {expected} with Content-Type: application/json.", statusCode: StatusCodes.Status400BadRequest);

    private static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> ActOnDestinationAsync(
        Func<Task<DestinationView>> action, DestinationsWatcher watcher)
    {
        try
        {
            var changed = await action();
            watcher.Replace(changed);
            return TypedResults.Ok(changed);
        }
        catch (DestinationsRequestException e)
        {
            // The API's own status for what the caller can fix (400, 404); anything else is the upstream failing.
            return TypedResults.Problem(e.Message, statusCode: e.Status is 400 or 404 or 409 or 422 ? e.Status.Value : StatusCodes.Status502BadGateway);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return TypedResults.Problem($"The stream API could not be reached: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
        }
    }

    public static Accepted<DemoTrafficState> StartDemoTraffic(int? seconds, DemoTrafficGenerator demo)
    {
        demo.Start(TimeSpan.FromSeconds(Math.Clamp(seconds ?? 60, 1, 3600)));
        return TypedResults.Accepted((string?)null, new DemoTrafficState(demo.IsRunning, demo.Emitted));
    }

    public static Ok<DemoTrafficState> StopDemoTraffic(DemoTrafficGenerator demo)
    {
        demo.Stop();
        return TypedResults.Ok(new DemoTrafficState(demo.IsRunning, demo.Emitted));
    }

    public static Accepted DropUpstream(UpstreamStreamClient upstream)
    {
        upstream.DropConnection();
        return TypedResults.Accepted((string?)null);
    }
}

public sealed record FeedStatus(int Held, long Received, long DuplicatesDropped, long LastSequence, int OpenAlerts, UpstreamStatus Upstream);

public sealed record DemoTrafficState(bool Running, long Emitted);
