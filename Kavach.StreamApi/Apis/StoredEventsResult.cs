using System.Buffers;
using System.Globalization;
using System.Reflection;
using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>{"events":[...]}</c> (with <c>"next"</c> for pages) written from the stored bodies as PostgreSQL sends them: the
/// same JSON a serializer would write for <see cref="EventPage"/> or <see cref="EventReplay"/>, without parsing an
/// event and without holding the answer — it goes out every <see cref="FlushBytes"/>, so a page of a thousand 64 KiB
/// events costs a replica about one row of memory, not the page.
/// </summary>
/// <remarks>
/// Nothing is written until the first row is read, so a database that cannot be read still gets its 503 problem. A
/// failure after that aborts the connection: a cut answer must never reach a client as a well-formed shorter one.
/// </remarks>
public sealed class StoredEventsResult(IAsyncEnumerable<StoredEvent> rows, int? pageSize) : IResult, IEndpointMetadataProvider
{
    public const int FlushBytes = 64 * 1024;

    /// <param name="rows">Up to <paramref name="size"/> + 1 rows: a row beyond the page means there is more (<c>next</c>).</param>
    public static StoredEventsResult Page(IAsyncEnumerable<StoredEvent> rows, int size) => new(rows, size);

    public static StoredEventsResult Replay(IAsyncEnumerable<StoredEvent> rows) => new(rows, pageSize: null);

    public async Task ExecuteAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        await using var events = rows.GetAsyncEnumerator(aborted);
        var more = await events.MoveNextAsync();

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        var output = context.Response.BodyWriter;
        var writeTimeout = context.RequestServices.GetRequiredService<IOptions<StreamOptions>>().Value.WriteTimeout;
        try
        {
            output.Write("{\"events\":["u8);
            var unflushed = 0;
            var count = 0;
            long last = 0;
            while (more && (pageSize is null || count < pageSize))
            {
                if (count++ > 0)
                {
                    output.Write(","u8);
                }

                unflushed += events.Current.WriteJson(output);
                last = events.Current.Sequence;
                if (unflushed >= FlushBytes)
                {
                    await FlushAsync(output, writeTimeout, aborted);
                    unflushed = 0;
                }

                more = await events.MoveNextAsync();
            }

            output.Write("]"u8);
            if (pageSize is not null)
            {
                output.Write(",\"next\":"u8);
                output.Write(more ? System.Text.Encoding.ASCII.GetBytes(last.ToString(CultureInfo.InvariantCulture)) : "null"u8);
            }

            output.Write("}"u8);
            await FlushAsync(output, writeTimeout, aborted);
        }
        catch (Exception e)
        {
            context.Abort();
            var logger = context.RequestServices.GetRequiredService<ILogger<StoredEventsResult>>();
            if (aborted.IsCancellationRequested)
            {
                logger.LogDebug(e, "The client went away while its events were written");
            }
            else
            {
                logger.LogWarning(e, "Writing events failed after the answer began; the connection was aborted so the client cannot take it for a whole one");
            }
        }
    }

    /// <summary>Sends what is buffered; a reader that takes none of it for the stream's write timeout is cut off, as on the stream.</summary>
    private static async Task FlushAsync(System.IO.Pipelines.PipeWriter output, TimeSpan timeout, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(timeout);
        if ((await output.FlushAsync(deadline.Token)).IsCompleted)
        {
            throw new OperationCanceledException("The client stopped reading.", aborted);
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK,
            method.Name.Contains("Replay", StringComparison.Ordinal) ? typeof(EventReplay) : typeof(EventPage), ["application/json"]));
}
