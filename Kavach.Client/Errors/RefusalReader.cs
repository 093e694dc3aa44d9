using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>Reads why the API refused a request: a problem-details body, or the stream's one SSE <c>error</c> frame.</summary>
internal static class RefusalReader
{
    public static async Task<KavachProblem?> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return body.Length == 0 ? null : JsonSerializer.Deserialize<KavachProblem>(body, KavachJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>401 or 403 as a typed exception, with the SSE error code when the stream's body carried one.</summary>
    public static async Task<KavachAuthorizationException> AuthorizationAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var item in SseParser.Create(body, StreamFrameParser.Parse).EnumerateAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item.Data is StreamError error)
                {
                    return new KavachAuthorizationException(status, error.Code, error.Message);
                }
            }
        }

        var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        return new KavachAuthorizationException(status, null, problem?.Title ?? response.ReasonPhrase);
    }

    public static bool IsAuthorization(HttpStatusCode status) => status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;

    /// <summary>The request itself is wrong: sending it again unchanged cannot help.</summary>
    public static bool IsRequestError(HttpStatusCode status) => status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound
        or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotAcceptable or HttpStatusCode.RequestEntityTooLarge
        or HttpStatusCode.UnsupportedMediaType;

    /// <summary>What Retry-After asks for, if anything.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta
        ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
}
