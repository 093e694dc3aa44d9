using System.Globalization;
using System.Text.RegularExpressions;
using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.History;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Kavach.Dashboard.Apis;

/// <summary>
/// The whole range of the history page's query as one download (CSV or NDJSON), streamed page by page from the API, and
/// its progress for the page that started it (by the export id the page put in the link).
/// </summary>
public static partial class HistoryExportApi
{
    public const string RangePath = "/history/export/range";
    public const string ProgressPath = "/history/export/progress";

    public static WebApplication MapHistoryExportApi(this WebApplication app)
    {
        app.MapGet(RangePath, ExportRangeAsync).WithName("ExportHistoryRange")
            .WithSummary("Every event of the history query's range, streamed as CSV or NDJSON")
            .RequireAuthorization(ConsolePolicies.View);
        app.MapGet(ProgressPath + "/{id}", GetProgress).WithName("GetExportProgress")
            .WithSummary("How far an export has come: events written and an estimate of the total")
            .RequireAuthorization(ConsolePolicies.View);
        return app;
    }

    public static async Task ExportRangeAsync(HttpContext context, string? format, string? exportId, string? from, string? to,
        string? types, string? agentId, string? userId, string? q, StreamApiClient api, ExportProgressBoard board, ILoggerFactory loggers)
    {
        var cancellationToken = context.RequestAborted;
        if (ExportFormat.Parse(format) is not { } exportFormat)
        {
            await TypedResults.Problem("Unknown export format: use format=csv or format=ndjson.", statusCode: StatusCodes.Status400BadRequest)
                .ExecuteAsync(context);
            return;
        }

        if (exportId is not null && !ExportId().IsMatch(exportId))
        {
            await TypedResults.Problem("'exportId' is 1 to 64 letters, digits or dashes.", statusCode: StatusCodes.Status400BadRequest)
                .ExecuteAsync(context);
            return;
        }

        // The range starts where the query does; the cursor of a page being shown is not part of "the whole range".
        var parameters = HistoryParameters.Parse(from, to, types, agentId, after: null, userId, q);
        var query = parameters.ToQuery(RangeExporter.PageSize);
        EventPage first;
        try
        {
            first = await RangeExporter.FirstPageAsync(api, query, board.Time, cancellationToken);
        }
        catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.BadRequest)
        {
            await TypedResults.Problem($"The stream API refused the query: {e.Message}", statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            await TypedResults.Problem($"The stream API could not be read: {e.Message}", statusCode: StatusCodes.Status502BadGateway).ExecuteAsync(context);
            return;
        }

        var now = board.Time.GetUtcNow();
        var rangeStart = query.Since ?? (first.Events.Count > 0 ? first.Events[0].Timestamp : now);
        var rangeEnd = query.Until is { } until && until < now ? until : now;
        var progress = board.Start(exportId ?? Guid.NewGuid().ToString("N"), exportFormat.Name, rangeStart, rangeEnd);

        context.Response.ContentType = exportFormat.ContentType;
        var name = $"kavach-events-{Stamp(rangeStart)}-{Stamp(query.Until ?? now)}.{exportFormat.Extension}";
        context.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = name, FileNameStar = name }.ToString();
        context.Response.Headers["X-Export-Id"] = progress.Id;
        try
        {
            await RangeExporter.WriteAsync(api, query, first, exportFormat, context.Response.Body, progress, board.Time, cancellationToken);
            progress.Finish(board.Time.GetUtcNow());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException
                                      or System.Text.Json.JsonException or IOException)
        {
            // A cut file must not look complete: the connection is aborted, so the browser reports a failed download.
            progress.Fail(cancellationToken.IsCancellationRequested ? "The download was cancelled." : $"The stream API could not be read: {e.Message}",
                board.Time.GetUtcNow());
            loggers.CreateLogger(typeof(HistoryExportApi)).LogWarning(e, "Export {Id} stopped after {Written} events", progress.Id, progress.Written);
            context.Abort();
        }
    }

    public static Results<Ok<ExportProgressView>, NotFound> GetProgress(string id, ExportProgressBoard board) =>
        board.Get(id) is { } progress ? TypedResults.Ok(ExportProgressView.Of(progress)) : TypedResults.NotFound();

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmm", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex ExportId();
}

/// <summary>An export's progress as the progress route answers it.</summary>
public sealed record ExportProgressView(string Id, string Format, string State, long Written, long? EstimatedTotal, string? Error)
{
    public static ExportProgressView Of(ExportProgress p) =>
        new(p.Id, p.Format, p.State.ToString().ToLowerInvariant(), p.Written, p.EstimatedTotal, p.Error);
}
