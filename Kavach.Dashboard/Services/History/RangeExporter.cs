using System.Text;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services.History;

/// <summary>
/// A whole range, written as it is read: the API's pages are followed by their <c>next</c> cursor, the next page asked
/// for while this one is written, each written and flushed before the one after is read. At most two pages are held,
/// whatever the range's length. The API limits pages per token subject (1,200 a minute by default: 1.2 million events
/// a minute at 1,000 a page), so a long export that meets that limit waits and asks again rather than failing.
/// </summary>
public static class RangeExporter
{
    public const int PageSize = PageQuery.MaxLimit;
    public static readonly TimeSpan ThrottledWait = TimeSpan.FromSeconds(1);
    public const int MaxThrottledWaits = 120;

    /// <summary>The first page, asked for before anything is written: a failure then is still an error answer.</summary>
    public static Task<EventPage> FirstPageAsync(StreamApiClient api, PageQuery query, TimeProvider time, CancellationToken cancellationToken) =>
        PageAsync(api, query with { Limit = PageSize }, time, cancellationToken);

    public static async Task WriteAsync(StreamApiClient api, PageQuery query, EventPage first, ExportFormat format, Stream output,
        ExportProgress progress, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024, leaveOpen: true)
        {
            NewLine = format.NewLine,
        };
        if (format.Header is { } header)
        {
            await writer.WriteLineAsync(header);
        }

        var page = first;
        while (true)
        {
            var next = page.Next is { } after ? PageAsync(api, query with { After = after, Limit = PageSize }, time, cancellationToken) : null;
            try
            {
                foreach (var e in page.Events)
                {
                    await writer.WriteLineAsync(format.Line(e));
                }

                await writer.FlushAsync(cancellationToken);
            }
            catch
            {
                // The read ahead is not wanted any more; observe its outcome so it is not reported as unobserved.
                _ = next?.ContinueWith(t => t.Exception, TaskScheduler.Default);
                throw;
            }

            if (page.Events.Count > 0)
            {
                progress.Wrote(page.Events.Count, page.Events[^1].Timestamp);
            }

            if (next is null)
            {
                return;
            }

            page = await next;
        }
    }

    /// <summary>A page; a 429 (the API's page limit) is waited out, a bounded number of times.</summary>
    public static async Task<EventPage> PageAsync(StreamApiClient api, PageQuery query, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var waits = 0; ; waits++)
        {
            try
            {
                return await api.GetPageAsync(query, cancellationToken);
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.TooManyRequests && waits < MaxThrottledWaits)
            {
                await Task.Delay(ThrottledWait, time, cancellationToken);
            }
        }
    }
}
