using System.Text;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services.History;

/// <summary>
/// A whole range, written as it is read: the API's pages are followed by their <c>next</c> cursor, the next page asked
/// for while this one is written, each written and flushed before the one after is read. At most two pages are held,
/// whatever the range's length.
/// </summary>
public static class RangeExporter
{
    public const int PageSize = PageQuery.MaxLimit;

    /// <summary>The first page, asked for before anything is written: a failure then is still an error answer.</summary>
    public static Task<EventPage> FirstPageAsync(StreamApiClient api, PageQuery query, CancellationToken cancellationToken) =>
        api.GetPageAsync(query with { Limit = PageSize }, cancellationToken);

    public static async Task WriteAsync(StreamApiClient api, PageQuery query, EventPage first, ExportFormat format, Stream output,
        ExportProgress progress, CancellationToken cancellationToken)
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
            var next = page.Next is { } after ? api.GetPageAsync(query with { After = after, Limit = PageSize }, cancellationToken) : null;
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
}
