using System.Net.Http.Headers;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// Push delivery of an SSF stream (RFC 8935): each SET is POSTed alone as <c>application/secevent+jwt</c>, with the
/// receiver's <c>authorization_header</c> when it gave one; the receiver accepts with 202 (any 2xx is taken as accepted:
/// it has the SET, and a receiver answering 200 must not be sent it for ever). A refusal — a 400 with the receiver's
/// error JSON (<c>{"err","description"}</c>), any other status — is retried by the engine, whose last error quotes it.
/// </summary>
public sealed class SsfChannel(SetBuilder sets, SsfSubjects subjects) : IPushChannel
{
    public const string MediaType = "application/secevent+jwt";

    public DestinationKind Kind => DestinationKind.Ssf;

    public bool Wants(Destination destination, StoredEvent stored) => SsfStream.Of(destination).Wants(stored, subjects.NewerThan(destination));

    public async ValueTask<HttpRequestMessage> BuildAsync(Destination destination, StoredEvent stored, CancellationToken cancellationToken)
    {
        var stream = SsfStream.Of(destination);
        return Request(stream, await sets.BuildAsync(stream, stored, cancellationToken));
    }

    public async ValueTask<HttpRequestMessage> BuildAsync(Destination destination, OutboxMessage message, CancellationToken cancellationToken)
    {
        var stream = SsfStream.Of(destination);
        return Request(stream, await sets.SignAsync(message.Payload, cancellationToken));
    }

    public bool Accepted(HttpResponseMessage response) => response.IsSuccessStatusCode;

    private static HttpRequestMessage Request(SsfStream stream, string set)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, stream.Destination.Url)
        {
            Content = new StringContent(set, System.Text.Encoding.ASCII, MediaType),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(MediaType); // no charset: a JWS is ASCII
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (stream.Settings.AuthorizationHeader is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }
}
