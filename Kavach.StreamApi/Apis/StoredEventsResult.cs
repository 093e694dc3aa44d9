using System.Buffers;
using System.Globalization;
using System.Reflection;
using Kavach.StreamApi.Events;
using Microsoft.AspNetCore.Http.Metadata;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>{"events":[...]}</c> (with <c>"next"</c> for pages) written from the stored bodies as they are: the same JSON a
/// serializer would write for <see cref="EventPage"/> or <see cref="ReplayResponse"/>, without parsing any event.
/// </summary>
public sealed class StoredEventsResult(IReadOnlyList<StoredEvent> events, bool withNext, long? next)
    : IResult, IEndpointMetadataProvider
{
    public static StoredEventsResult Page(IReadOnlyList<StoredEvent> events, long? next) => new(events, withNext: true, next);

    public static StoredEventsResult Replay(IReadOnlyList<StoredEvent> events) => new(events, withNext: false, next: null);

    public async Task ExecuteAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        var output = context.Response.BodyWriter;
        output.Write("{\"events\":["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            events[i].WriteJson(output);
        }

        output.Write("]"u8);
        if (withNext)
        {
            output.Write(",\"next\":"u8);
            output.Write(next is { } value
                ? System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture))
                : "null"u8);
        }

        output.Write("}"u8);
        await output.FlushAsync(context.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK,
            method.Name.Contains("Replay", StringComparison.Ordinal) ? typeof(ReplayResponse) : typeof(EventPage), ["application/json"]));
}
