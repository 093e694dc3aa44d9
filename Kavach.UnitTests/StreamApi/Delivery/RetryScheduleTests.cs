using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Options;

namespace Kavach.UnitTests.StreamApi.Delivery;

[TestClass]
public sealed class RetryScheduleTests
{
    private static readonly DeliveryOptions Options = new()
    {
        FirstRetry = TimeSpan.FromSeconds(5),
        MaxBackoff = TimeSpan.FromHours(1),
        RetryHorizon = TimeSpan.FromDays(3),
    };

    [TestMethod]
    public void TheCeilingDoublesFromTheFirstRetryUpToTheMaximum()
    {
        var schedule = new RetrySchedule(Options);

        Assert.AreEqual(TimeSpan.FromSeconds(5), schedule.Ceiling(1));
        Assert.AreEqual(TimeSpan.FromSeconds(10), schedule.Ceiling(2));
        Assert.AreEqual(TimeSpan.FromSeconds(20), schedule.Ceiling(3));
        Assert.AreEqual(TimeSpan.FromSeconds(2560), schedule.Ceiling(10));
        Assert.AreEqual(TimeSpan.FromHours(1), schedule.Ceiling(11));
        Assert.AreEqual(TimeSpan.FromHours(1), schedule.Ceiling(10_000));
    }

    [TestMethod]
    public void TheDelayIsDrawnBetweenHalfAndAllOfTheCeiling()
    {
        Assert.AreEqual(TimeSpan.FromSeconds(10), new RetrySchedule(Options, () => 0).Delay(3));
        Assert.AreEqual(TimeSpan.FromSeconds(20), new RetrySchedule(Options, () => 1).Delay(3));
        Assert.AreEqual(TimeSpan.FromSeconds(15), new RetrySchedule(Options, () => 0.5).Delay(3));

        var jittered = new RetrySchedule(Options);
        for (var i = 0; i < 1000; i++)
        {
            var delay = jittered.Delay(4);
            Assert.IsTrue(delay >= TimeSpan.FromSeconds(20) && delay <= TimeSpan.FromSeconds(40), $"{delay} is outside [20 s, 40 s]");
        }
    }

    [TestMethod]
    public void TheHorizonIsReachedWhenFailingForItsWholeLength()
    {
        var schedule = new RetrySchedule(Options);
        var since = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        Assert.IsFalse(schedule.HorizonReached(since, since + TimeSpan.FromDays(3) - TimeSpan.FromSeconds(1)));
        Assert.IsTrue(schedule.HorizonReached(since, since + TimeSpan.FromDays(3)));
    }
}
