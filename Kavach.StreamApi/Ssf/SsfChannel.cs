using System.Net.Http.Headers;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// Push delivery of an SSF stream (RFC 8935): each SET is POSTed alone as <c>application/secevent+jwt</c>, with the
/// receiver's <c>authorization_header</c> when it gave one; the receiver accepts with 202 (any 2xx is taken as accepted:
/// it has the SET). A 400 carries the receiver's error JSON (<c>{"err","description"}</c>), which
/// <see cref="DescribeRefusalAsync"/> turns into the stream's last error.
/// </summary>
public sealed class SsfChannel(SetBuilder sets) : IPushChannel
{
    public const string MediaType = "application/secevent+jwt";

    public DestinationKind Kind => DestinationKind.Ssf;

    public bool Wants(Destination destination, StoredEvent stored) => SsfStream.Of(destination).Wants(stored);

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

    /// <summary>The receiver's RFC 8935 error (<c>err</c>: <c>description</c>), or null when its answer holds none.</summary>
    public static async Task<string?> DescribeRefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType is not "application/json")
        {
            return null;
        }

        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return SetErrors.Describe(body);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

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
