using Kavach.Client;

namespace Kavach.UnitTests.Client;

[TestClass]
public sealed class ReconnectBackoffTests
{
    [TestMethod]
    public void DoublesUpToTheCapWithinTwentyPercent()
    {
        var low = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), () => 0);
        var high = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), () => 1);

        CollectionAssert.AreEqual(new double[] { 80, 160, 320, 640, 800, 800 }, Enumerable.Range(0, 6).Select(_ => low.Next().TotalMilliseconds).ToArray());
        CollectionAssert.AreEqual(new double[] { 120, 240, 480, 960, 1000, 1000 }, Enumerable.Range(0, 6).Select(_ => high.Next().TotalMilliseconds).ToArray());
    }

    [TestMethod]
    public void TheServersRetryIsTheFloorOfTheFirstDelay()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), () => 0.5);

        Assert.AreEqual(3000, backoff.Next(TimeSpan.FromSeconds(3)).TotalMilliseconds);
        Assert.AreEqual(6000, backoff.Next(TimeSpan.FromSeconds(3)).TotalMilliseconds);
        Assert.AreEqual(400, backoff.Next(TimeSpan.FromMilliseconds(10)).TotalMilliseconds, "a hint below the initial delay changes nothing");
    }

    [TestMethod]
    public void ARetryAfterBeyondTheCapIsStillHonoured()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), () => 0.5);

        Assert.AreEqual(5000, backoff.Next(TimeSpan.FromSeconds(5)).TotalMilliseconds);
    }

    [TestMethod]
    public void ResetStartsOverAfterAGoodConnection()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), () => 0.5);
        backoff.Next();
        backoff.Next();
        backoff.Reset();

        Assert.AreEqual(100, backoff.Next().TotalMilliseconds);
    }
}
