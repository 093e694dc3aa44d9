using System.Net;
using Kavach.StreamApi.Delivery;

namespace Kavach.UnitTests.StreamApi.Delivery;

[TestClass]
public sealed class TargetPolicyTests
{
    private static readonly TargetPolicy Strict = new([], plainHttpAnywhere: false);

    [TestMethod]
    [DataRow("10.1.2.3", "private")]
    [DataRow("172.16.0.1", "private")]
    [DataRow("172.31.255.255", "private")]
    [DataRow("192.168.1.1", "private")]
    [DataRow("127.0.0.1", "loopback")]
    [DataRow("127.200.0.9", "loopback")]
    [DataRow("169.254.169.254", "link-local")]
    [DataRow("0.0.0.0", "unspecified")]
    [DataRow("224.0.0.1", "multicast")]
    [DataRow("239.255.255.250", "multicast")]
    [DataRow("100.64.0.1", "shared (carrier-grade NAT)")]
    [DataRow("255.255.255.255", "reserved")]
    [DataRow("::1", "loopback")]
    [DataRow("::", "unspecified")]
    [DataRow("fe80::1", "link-local")]
    [DataRow("fd12:3456:789a::1", "unique-local")]
    [DataRow("fc00::1", "unique-local")]
    [DataRow("ff02::1", "multicast")]
    [DataRow("::ffff:127.0.0.1", "loopback")]
    [DataRow("::ffff:10.0.0.1", "private")]
    [DataRow("::ffff:169.254.169.254", "link-local")]
    [DataRow("64:ff9b::a9fe:a9fe", "link-local")]
    [DataRow("2002:7f00:1::1", "loopback")]
    public void NonPublicAddressesAreRefusedAndNamed(string address, string kind)
    {
        var refusal = Strict.Refusal(IPAddress.Parse(address));

        Assert.IsNotNull(refusal, address);
        StringAssert.Contains(refusal, $"a {kind} address");
        StringAssert.Contains(refusal, "Kavach:Delivery:AllowedPrivateTargets");
    }

    [TestMethod]
    [DataRow("93.184.216.34")]
    [DataRow("8.8.8.8")]
    [DataRow("172.32.0.1")]
    [DataRow("2606:2800:220:1:248:1893:25c8:1946")]
    [DataRow("::ffff:8.8.8.8")]
    [DataRow("64:ff9b::808:808")]
    public void PublicAddressesAreAllowed(string address)
    {
        Assert.IsNull(Strict.Refusal(IPAddress.Parse(address)));
    }

    [TestMethod]
    public void TheAllowListAdmitsItsRangesInBothAddressForms()
    {
        var policy = new TargetPolicy(["127.0.0.0/8", "10.0.0.5", "fd00::/8"], plainHttpAnywhere: false);

        Assert.IsTrue(policy.IsAllowed(IPAddress.Parse("127.0.0.1")));
        Assert.IsTrue(policy.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.IsTrue(policy.IsAllowed(IPAddress.Parse("10.0.0.5")));
        Assert.IsTrue(policy.IsAllowed(IPAddress.Parse("fd00::1")));
        Assert.IsFalse(policy.IsAllowed(IPAddress.Parse("10.0.0.6")));
        Assert.IsFalse(policy.IsAllowed(IPAddress.Parse("::1")), "IPv6 loopback is not in 127.0.0.0/8");
        Assert.IsFalse(policy.IsAllowed(IPAddress.Parse("169.254.169.254")));
    }

    [TestMethod]
    public void AnAllowListEntryThatIsNoAddressIsRefused()
    {
        Assert.IsFalse(TargetPolicy.TryParseTarget("localhost", out _));
        Assert.IsFalse(TargetPolicy.TryParseTarget("10.0.0.0/33", out _));
        Assert.IsTrue(TargetPolicy.TryParseTarget(" 10.0.0.0/8 ", out _));
        Assert.ThrowsExactly<FormatException>(() => new TargetPolicy(["nope"], false));
    }

    [TestMethod]
    public void UrlsMustBeHttpsAbsoluteAndWithoutCredentials()
    {
        Assert.IsNull(Strict.Check(new Uri("https://receiver.example.com/hook")));
        Assert.IsNull(Strict.Check(new Uri("https://93.184.216.34:8443/hook")));
        StringAssert.Contains(Strict.Check(new Uri("http://receiver.example.com/hook")), "https");
        StringAssert.Contains(Strict.Check(new Uri("ftp://receiver.example.com/hook")), "https");
        StringAssert.Contains(Strict.Check(new Uri("https://user:pw@receiver.example.com/hook")), "credentials");
        StringAssert.Contains(Strict.Check(new Uri("/relative", UriKind.Relative)), "absolute");
        StringAssert.Contains(Strict.Check(null), "absolute");
    }

    [TestMethod]
    public void UrlsToNonPublicHostsAreRefused()
    {
        StringAssert.Contains(Strict.Check(new Uri("https://10.0.0.1/hook")), "private");
        StringAssert.Contains(Strict.Check(new Uri("https://[::1]/hook")), "loopback");
        StringAssert.Contains(Strict.Check(new Uri("https://[::ffff:192.168.0.1]/hook")), "private");
        StringAssert.Contains(Strict.Check(new Uri("https://localhost:5000/hook")), "loopback");
        StringAssert.Contains(Strict.Check(new Uri("https://api.localhost/hook")), "loopback");
    }

    [TestMethod]
    public void PlainHttpIsAcceptedOnlyToAnAllowListedAddressOrInDevelopment()
    {
        var testing = new TargetPolicy(["127.0.0.0/8"], plainHttpAnywhere: false);
        Assert.IsNull(testing.Check(new Uri("http://127.0.0.1:5000/hook")));
        Assert.IsNotNull(testing.Check(new Uri("http://receiver.example.com/hook")));

        var development = new TargetPolicy([], plainHttpAnywhere: true);
        Assert.IsNull(development.Check(new Uri("http://receiver.example.com/hook")));
        Assert.IsNotNull(development.Check(new Uri("http://127.0.0.1:5000/hook")), "Development does not open private addresses");
    }

    [TestMethod]
    public async Task ANameIsCheckedWithTheAddressesItResolvesTo()
    {
        StringAssert.Contains(await Strict.CheckAsync(new Uri("https://localhost/hook"), CancellationToken.None), "loopback");
        Assert.IsNull(await new TargetPolicy(["127.0.0.0/8", "::1"], false).CheckAsync(new Uri("https://localhost/hook"), CancellationToken.None));
    }
}
