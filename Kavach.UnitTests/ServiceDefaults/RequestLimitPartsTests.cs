using System.Net;
using System.Threading.RateLimiting;
using Kavach.ServiceDefaults.Limits;

namespace Kavach.UnitTests.ServiceDefaults;

/// <summary>The parts both services' limits are made of: who an address counts as, "N per window", Retry-After.</summary>
[TestClass]
public sealed class RequestLimitPartsTests
{
    [TestMethod]
    [DataRow("203.0.113.9", "203.0.113.9")]
    [DataRow("::ffff:203.0.113.9", "203.0.113.9")]
    [DataRow("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [DataRow("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [DataRow("::1", "::/64")]
    public void AnAddressCountsAsItselfAndAnIPv6AddressAsItsNetwork(string address, string key)
    {
        Assert.AreEqual(key, ClientAddress.KeyOf(IPAddress.Parse(address)));
    }

    [TestMethod]
    public void NoAddressIsOneUnknownClient()
    {
        Assert.AreEqual(ClientAddress.Unknown, ClientAddress.KeyOf((IPAddress?)null));
    }

    [TestMethod]
    public void NPerWindowAllowsNAtOnceThenOneEveryWindowOverN()
    {
        var bucket = RateWindow.Bucket(10, TimeSpan.FromMinutes(1));
        bucket.AutoReplenishment = false; // no time passes here
        using var limiter = new TokenBucketRateLimiter(bucket);
        for (var i = 0; i < 10; i++)
        {
            using var lease = limiter.AttemptAcquire();
            Assert.IsTrue(lease.IsAcquired, $"request {i + 1}");
        }

        using var refused = limiter.AttemptAcquire();
        Assert.IsFalse(refused.IsAcquired);
        Assert.AreEqual(TimeSpan.FromSeconds(6), RetryAfter.Of(refused, TimeSpan.Zero));
    }

    [TestMethod]
    [DataRow(60_000, 1)]
    [DataRow(10_000_000, 600)]
    [DataRow(3, 60)]
    public void TheBucketHoldsTheLimitAndRefillsItOverTheWindow(int limit, int windowSeconds)
    {
        var window = TimeSpan.FromSeconds(windowSeconds);
        var bucket = RateWindow.Bucket(limit, window);
        Assert.AreEqual(limit, bucket.TokenLimit);
        var refilledPerWindow = (double)bucket.TokensPerPeriod * window.Ticks / bucket.ReplenishmentPeriod.Ticks;
        Assert.AreEqual(limit, refilledPerWindow, limit * 0.001);
    }

    [TestMethod]
    [DataRow(0.0, 1)]
    [DataRow(0.2, 1)]
    [DataRow(1.0, 1)]
    [DataRow(1.01, 2)]
    [DataRow(120.0, 120)]
    public void RetryAfterIsWholeSecondsRoundedUpAndAtLeastOne(double seconds, int header)
    {
        Assert.AreEqual(header, RetryAfter.Seconds(TimeSpan.FromSeconds(seconds)));
    }
}
