using System.Security.Cryptography;
using System.Text;
using StandardWebhooks;

namespace Kavach.UnitTests.StreamApi.Delivery;

/// <summary>The signing library against the Standard Webhooks specification's own example, and against the spec's rule written out.</summary>
[TestClass]
public sealed class WebhookSignatureTests
{
    // The example of the Standard Webhooks specification ("Signature scheme"), also the reference libraries' test vector.
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string MessageId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long Timestamp = 1614265330;
    private const string Payload = "{\"test\": 2432232314}";
    private const string Expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    [TestMethod]
    public void TheSpecificationsExampleSignsAsPublished()
    {
        var signature = new StandardWebhook(Secret).Sign(MessageId, DateTimeOffset.FromUnixTimeSeconds(Timestamp), Payload);

        Assert.AreEqual(Expected, signature);
    }

    [TestMethod]
    public void TheSignatureIsHmacSha256OfIdTimestampAndBodyWithTheDecodedSecret()
    {
        var key = Convert.FromBase64String(Secret["whsec_".Length..]);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{MessageId}.{Timestamp}.{Payload}"));

        Assert.AreEqual(Expected, "v1," + Convert.ToBase64String(mac));
    }
}
