using Kavach.StreamApi.Options;
using Kavach.StreamApi.Ssf;

namespace Kavach.UnitTests.StreamApi.Ssf;

[TestClass]
public sealed class SsfStreamRequestTests
{
    private static SsfStreamRequest? Parse(string json, out string? error) => SsfStreamRequest.Parse(SsfTestStreams.Json(json), out error);

    [TestMethod]
    public void NoDeliveryMeansPoll()
    {
        var request = Parse("{}", out var error);
        Assert.IsNull(error);
        Assert.AreEqual(SsfStreamSettings.PollMethod, request!.Method);
        Assert.IsFalse(request.HasDelivery);
    }

    [TestMethod]
    public void APushRequestKeepsItsUrlAndHeader()
    {
        var request = Parse("""{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://r.example/events","authorization_header":"Bearer x"}}""", out _);
        Assert.AreEqual(new Uri("https://r.example/events"), request!.EndpointUrl);
        Assert.AreEqual("Bearer x", request.AuthorizationHeader);
    }

    [TestMethod]
    [DataRow("[]")]
    [DataRow("""{"delivery":"push"}""")]
    [DataRow("""{"delivery":{"method":"urn:example:other"}}""")]
    [DataRow("""{"delivery":{"method":"urn:ietf:rfc:8935"}}""")]
    [DataRow("""{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"ftp://r.example/"}}""")]
    [DataRow("""{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://r.example/","authorization_header":"a\nb"}}""")]
    [DataRow("""{"events_requested":"all"}""")]
    [DataRow("""{"events_requested":[1]}""")]
    [DataRow("""{"description":5}""")]
    [DataRow("""{"stream_id":5}""")]
    public void MalformedRequestsSayWhatIsWrong(string json)
    {
        Assert.IsNull(Parse(json, out var error));
        Assert.IsFalse(string.IsNullOrEmpty(error));
    }

    [TestMethod]
    public void ALongDescriptionIsTruncatedAsTheSpecificationAllows() =>
        Assert.AreEqual(SsfStreamRequest.MaxDescriptionLength, Parse($$"""{"description":"{{new string('d', 5000)}}"}""", out _)!.Description!.Length);

    [TestMethod]
    public void TransmitterSuppliedMembersMayBeRepeatedButNotChanged()
    {
        var current = SsfStreamConfiguration.Of(SsfTestStreams.Stream());
        Assert.IsNull(Parse($$"""{"stream_id":"x","iss":"{{current.Issuer}}","aud":["{{current.Audience}}"]}""", out _)!.Contradiction(current));
        Assert.IsNotNull(Parse("""{"stream_id":"x","aud":"someone-else"}""", out _)!.Contradiction(current));
        Assert.IsNotNull(Parse("""{"stream_id":"x","events_delivered":[]}""", out _)!.Contradiction(current));
    }

    [TestMethod]
    [DataRow("not a url")]
    [DataRow("https://kavach.example/?tenant=1")]
    [DataRow("https://kavach.example/#x")]
    public void AnIssuerThatIsNotAPlainUrlStopsStartUp(string issuer)
    {
        var options = new SsfOptions { Issuer = issuer };
        Assert.IsNotEmpty(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList());
    }
}
