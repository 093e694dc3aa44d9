using System.Text.Json;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class EventValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static EventValidator Validator(int maxBatch = 1000, int maxData = 64 * 1024) =>
        new(Microsoft.Extensions.Options.Options.Create(new StreamOptions { MaxBatchSize = maxBatch, MaxEventDataBytes = maxData }), new FakeTimeProvider(Now));

    [TestMethod]
    public void DefaultsFillIdTimestampAndData()
    {
        var events = Validator().Validate([new EventDraft("audit")], isBatch: false, out var rejection);

        Assert.IsNull(rejection);
        var only = events.Single();
        Assert.IsTrue(Guid.TryParse(only.Id, out _));
        Assert.AreEqual(Now, only.Timestamp);
        using var body = JsonDocument.Parse(only.Body);
        Assert.AreEqual("{}", body.RootElement.GetProperty("data").GetRawText());
    }

    [TestMethod]
    public void TimestampIsKeptToTheMicrosecond()
    {
        var precise = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        var events = Validator().Validate([new EventDraft("audit", Timestamp: precise)], false, out _);
        Assert.AreEqual(precise.AddTicks(-7), events[0].Timestamp);
    }

    [TestMethod]
    public void OneBadEventRejectsTheWholeBatchWithIndexedFields()
    {
        var events = Validator().Validate(
            [new EventDraft("audit"), new EventDraft("nope", JsonDocument.Parse("[1]").RootElement, AgentId: "")],
            isBatch: true, out var rejection);

        Assert.IsEmpty(events);
        Assert.IsNotNull(rejection);
        Assert.IsFalse(rejection.TooLarge);
        CollectionAssert.AreEquivalent(new[] { "[1].type", "[1].data", "[1].agentId" }, rejection.Errors.Keys.ToList());
    }

    [TestMethod]
    public void SizeLimitsAreTooLarge()
    {
        Validator(maxBatch: 2).Validate([new("audit"), new("audit"), new("audit")], true, out var batch);
        Validator(maxData: 100).Validate([new("audit", JsonDocument.Parse($$"""{"x":"{{new string('a', 200)}}"}""").RootElement)], false, out var data);

        Assert.IsTrue(batch!.TooLarge);
        Assert.IsTrue(data!.TooLarge);
    }
}
