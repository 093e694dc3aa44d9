using System.Text;
using System.Text.Json;
using Kavach.StreamApi.Apis;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// Pages and replay are written as they are read: the same JSON as before, sent every 64 KiB, a failure before the
/// first byte left to the exception handler (its status and problem), a failure after it an aborted connection.
/// </summary>
[TestClass]
public sealed class StoredEventsResultTests
{
    [TestMethod]
    [DataRow(3, 5, "null")]
    [DataRow(3, 4, "null")]
    [DataRow(4, 3, "3")]
    [DataRow(0, 5, "null")]
    public async Task APageIsTheSerializersJsonWithNextWhenMoreRowsCame(int rows, int pageSize, string next)
    {
        var events = Events(rows, dataBytes: 10);
        var (context, body, _) = Context();
        await StoredEventsResult.Page(Read(events), pageSize).ExecuteAsync(context);

        var expected = $"{{\"events\":[{string.Join(",", events.Take(pageSize).Select(e => e.Json()))}],\"next\":{next}}}";
        Assert.AreEqual(expected, Encoding.UTF8.GetString(body.ToArray()));
        Assert.AreEqual("application/json; charset=utf-8", context.Response.ContentType);
        Assert.AreEqual(StatusCodes.Status200OK, context.Response.StatusCode);
    }

    [TestMethod]
    public async Task AReplayHasNoNext()
    {
        var events = Events(2, dataBytes: 10);
        var (context, body, _) = Context();
        await StoredEventsResult.Replay(Read(events)).ExecuteAsync(context);
        Assert.AreEqual($"{{\"events\":[{events[0].Json()},{events[1].Json()}]}}", Encoding.UTF8.GetString(body.ToArray()));
    }

    [TestMethod]
    public async Task ItGoesOutAsItIsReadAbout64KiBAtATime()
    {
        var events = Events(40, dataBytes: 16 * 1024);
        var (context, body, _) = Context();
        var read = 0;
        var readAtEachWrite = new List<int>();
        body.Written = () => readAtEachWrite.Add(read);
        await StoredEventsResult.Page(Read(events, onRow: () => read++), size: 1000).ExecuteAsync(context);

        var total = body.Length;
        Assert.IsGreaterThanOrEqualTo((int)(total / StoredEventsResult.FlushBytes), readAtEachWrite.Count, "about a write per 64 KiB");
        Assert.IsLessThan(events.Length / 2, readAtEachWrite[0], "the first bytes leave long before the last row is read");
        using var page = JsonDocument.Parse(body.ToArray());
        Assert.AreEqual(40, page.RootElement.GetProperty("events").GetArrayLength());
    }

    [TestMethod]
    public async Task AFailureBeforeTheFirstRowIsLeftToTheExceptionHandler()
    {
        var (context, body, lifetime) = Context();
        await Assert.ThrowsExactlyAsync<TimeoutException>(() =>
            StoredEventsResult.Page(Read(Events(3, 10), failAfter: 0), 10).ExecuteAsync(context));
        Assert.AreEqual(0, body.Length);
        Assert.IsFalse(lifetime.Aborted);
    }

    [TestMethod]
    public async Task AFailureAfterTheAnswerBeganAbortsTheConnection()
    {
        var (context, body, lifetime) = Context();
        await StoredEventsResult.Page(Read(Events(200, dataBytes: 1024), failAfter: 150), 1000).ExecuteAsync(context);

        Assert.IsTrue(lifetime.Aborted, "the client must see a broken connection");
        Assert.IsGreaterThan(0, body.Length);
        Assert.Throws<JsonException>(() => JsonDocument.Parse(body.ToArray()), "what was sent must not parse as a whole answer");
    }

    private static StoredEvent[] Events(int count, int dataBytes) =>
    [
        .. Enumerable.Range(1, count).Select(i =>
        {
            using var data = JsonDocument.Parse($"{{\"blob\":\"{new string('x', dataBytes)}\"}}");
            var body = StoredEvent.BodyOf($"id-{i}", "audit", DateTimeOffset.UnixEpoch, data.RootElement, "agent-1", null);
            return new StoredEvent(i, $"id-{i}", "audit", "agent-1", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, body,
                [.. Enumerable.Repeat((byte)i, 32)]);
        }),
    ];

    private static async IAsyncEnumerable<StoredEvent> Read(StoredEvent[] events, int failAfter = -1, Action? onRow = null)
    {
        for (var i = 0; i < events.Length; i++)
        {
            await Task.Yield();
            if (i == failAfter)
            {
                throw new TimeoutException("PostgreSQL stopped answering");
            }

            onRow?.Invoke();
            yield return events[i];
        }
    }

    private static (HttpContext Context, RecordingStream Body, AbortRecorder Lifetime) Context()
    {
        var body = new RecordingStream();
        var lifetime = new AbortRecorder();
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddSingleton(Options.Create(new StreamOptions())).BuildServiceProvider(),
        };
        context.Response.Body = body;
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        return (context, body, lifetime);
    }

    private sealed class AbortRecorder : IHttpRequestLifetimeFeature
    {
        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }

    /// <summary>A response body that says when bytes reach it.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public Action? Written { get; set; }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written?.Invoke();
            await base.WriteAsync(buffer, cancellationToken);
        }
    }
}
