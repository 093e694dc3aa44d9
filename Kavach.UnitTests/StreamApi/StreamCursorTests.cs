using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Streaming;
using Microsoft.Extensions.Primitives;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class StreamCursorTests
{
    [TestMethod]
    public void HeaderWinsOverQueryAndSince()
    {
        Assert.IsTrue(StreamCursor.TryParse("42", "7", "2026-01-01T00:00:00Z", out var cursor, out _));
        Assert.AreEqual(new StreamPosition(StreamPosition.FirstEpoch, 42), cursor.After);
        Assert.IsNull(cursor.Since);
    }

    [TestMethod]
    public void QueryLastEventIdWinsOverSince()
    {
        Assert.IsTrue(StreamCursor.TryParse(StringValues.Empty, "7", "2026-01-01T00:00:00Z", out var cursor, out _));
        Assert.AreEqual(new StreamPosition(StreamPosition.FirstEpoch, 7), cursor.After);
    }

    [TestMethod]
    public void SinceNeedsAnOffset()
    {
        Assert.IsTrue(StreamCursor.TryParse(StringValues.Empty, StringValues.Empty, "2026-01-15T10:00:00+02:00", out var cursor, out _));
        Assert.AreEqual(new DateTimeOffset(2026, 1, 15, 8, 0, 0, TimeSpan.Zero), cursor.Since);
        Assert.IsFalse(StreamCursor.TryParse(StringValues.Empty, StringValues.Empty, "2026-01-15T10:00:00", out _, out var error));
        StringAssert.Contains(error, "offset");
    }

    [TestMethod]
    [DataRow("abc")]
    [DataRow("-1")]
    [DataRow("1.5")]
    [DataRow("01a22116-5102-70e6-98db-f495c952b352")]
    [DataRow("0:5")]
    [DataRow("2:")]
    [DataRow(":5")]
    [DataRow("1:2:3")]
    [DataRow("99999999999999999999")]
    public void NonSequenceLastEventIdIsRejected(string value)
    {
        Assert.IsFalse(StreamCursor.TryParse(value, StringValues.Empty, StringValues.Empty, out _, out var error));
        StringAssert.Contains(error, "Last-Event-ID");
    }

    [TestMethod]
    public void AnEpochQualifiedIdIsACursorInThatEpoch()
    {
        Assert.IsTrue(StreamCursor.TryParse("3:1221", StringValues.Empty, StringValues.Empty, out var cursor, out _));
        Assert.AreEqual(new StreamPosition(3, 1221), cursor.After);
        Assert.AreEqual("3:1221", cursor.After!.Value.ToString());
        Assert.AreEqual("1221", new StreamPosition(StreamPosition.FirstEpoch, 1221).ToString(), "the first epoch keeps bare sequences");
    }

    [TestMethod]
    public void NoCursorMeansLiveOnly()
    {
        Assert.IsTrue(StreamCursor.TryParse(StringValues.Empty, StringValues.Empty, StringValues.Empty, out var cursor, out _));
        Assert.IsFalse(cursor.Replays);
    }
}
