using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Options;

namespace Kavach.UnitTests.StreamApi.Delivery;

[TestClass]
public sealed class DeliveryOptionsValidationTests
{
    private static IEnumerable<string> Failures(DeliveryOptions options) =>
        new DeliveryOptionsValidation().Validate(null, options).Failures ?? [];

    [TestMethod]
    public void TheDefaultsAreValid()
    {
        Assert.IsEmpty(Failures(new DeliveryOptions()));
    }

    [TestMethod]
    public void EachBadSettingIsNamed()
    {
        StringAssert.Contains(string.Join(" ", Failures(new DeliveryOptions { LeaseDuration = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(1) })),
            "Kavach:Delivery:LeaseDuration must be at least 3 seconds");
        StringAssert.Contains(string.Join(" ", Failures(new DeliveryOptions { Timeout = TimeSpan.FromSeconds(15) })),
            "Kavach:Delivery:Timeout must be positive and shorter than Kavach:Delivery:LeaseDuration");
        StringAssert.Contains(string.Join(" ", Failures(new DeliveryOptions { MaxBackoff = TimeSpan.FromSeconds(1) })), "Kavach:Delivery:FirstRetry");
        StringAssert.Contains(string.Join(" ", Failures(new DeliveryOptions { AllowedPrivateTargets = ["127.0.0.0/8", "intranet"] })),
            "'intranet' is neither an address nor a CIDR range");
        StringAssert.Contains(string.Join(" ", Failures(new DeliveryOptions { CursorWriteAfter = TimeSpan.FromSeconds(5) })),
            "Kavach:Delivery:CursorWriteAfter must be positive and shorter than a third of Kavach:Delivery:LeaseDuration");
        StringAssert.Contains(string.Join(" ", Failures(new DeliveryOptions { CursorWriteAfter = TimeSpan.Zero })), "Kavach:Delivery:CursorWriteAfter");
    }
}
