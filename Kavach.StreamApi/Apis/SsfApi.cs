using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Ssf;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// The OpenID Shared Signals Framework 1.0 transmitter (docs/ssf.md): discovery at <c>/.well-known/ssf-configuration</c>
/// and the keys that verify our SETs (both public), the stream management API of SSF §8 (scope <c>ssf.manage</c> to
/// change, <c>ssf.read</c> or <c>ssf.manage</c> to read) and RFC 8936 polling. A receiver sees only its own streams:
/// another's stream id is answered 404, as an unknown one is.
/// </summary>
public static class SsfApi
{
    private static readonly RequireToken Manage = new(KavachScopes.SsfManage);
    private static readonly RequireAnyScope Read = new(KavachScopes.SsfRead, KavachScopes.SsfManage);

    public static IEndpointRouteBuilder MapSsfApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(KavachRoutes.SsfConfiguration, Describe)
            .WithName("SsfConfiguration").WithTags("Shared Signals").WithSummary("The SSF transmitter's configuration metadata (SSF §7.1).");

        var ssf = app.MapGroup(KavachRoutes.Ssf).WithTags("Shared Signals");
        ssf.MapGet("/jwks", JwksAsync).WithName("SsfJwks").WithSummary("The public keys that verify our SETs (RS256).");
        ssf.MapPost("/stream", CreateAsync).AddEndpointFilter(Manage)
            .WithName("SsfCreateStream").WithSummary("Create a stream (push: delivery.endpoint_url; poll: no delivery, or method urn:ietf:rfc:8936).");
        ssf.MapGet("/stream", ReadAsync).AddEndpointFilter(Read)
            .WithName("SsfReadStream").WithSummary("A stream's configuration (?stream_id), or all of the receiver's.");
        ssf.MapPatch("/stream", UpdateAsync).AddEndpointFilter(Manage)
            .WithName("SsfUpdateStream").WithSummary("Change the receiver-supplied members present in the body.");
        ssf.MapPut("/stream", ReplaceAsync).AddEndpointFilter(Manage)
            .WithName("SsfReplaceStream").WithSummary("Replace the receiver-supplied members; those left out are removed.");
        ssf.MapDelete("/stream", DeleteAsync).AddEndpointFilter(Manage)
            .WithName("SsfDeleteStream").WithSummary("Delete a stream (?stream_id).");
        ssf.MapGet("/status", StatusAsync).AddEndpointFilter(Read)
            .WithName("SsfReadStatus").WithSummary("A stream's status: enabled, paused or disabled.");
        ssf.MapPost("/status", SetStatusAsync).AddEndpointFilter(Manage)
            .WithName("SsfUpdateStatus").WithSummary("Enable, pause (events are held) or disable (events are dropped) a stream.");
        ssf.MapPost("/subjects:add", AddSubjectAsync).AddEndpointFilter(Manage)
            .WithName("SsfAddSubject").WithSummary("Let a subject's events through again (streams carry every subject by default).");
        ssf.MapPost("/subjects:remove", RemoveSubjectAsync).AddEndpointFilter(Manage)
            .WithName("SsfRemoveSubject").WithSummary("Hold back a subject's events on this stream.");
        ssf.MapPost("/verify", VerifyAsync).AddEndpointFilter(Manage)
            .WithName("SsfVerify").WithSummary("Queue a verification event, with the receiver's state, ahead of the stream's next event.");
        ssf.MapPost("/poll/{streamId}", PollAsync).AddEndpointFilter(Read)
            .WithName("SsfPoll").WithSummary("RFC 8936: acknowledge SETs and get the next ones.");
        return app;
    }

    public static Ok<SsfTransmitterConfiguration> Describe(HttpContext context, SsfConfiguration configuration) =>
        TypedResults.Ok(configuration.Describe(context.Request));

    public static async Task<IResult> JwksAsync(HttpContext context, SsfKeys keys)
    {
        var all = await keys.AllAsync(context.RequestAborted);
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new { keys = all.Select(k => k.PublicJwk()).ToArray() });
    }

    public static async Task<IResult> CreateAsync(HttpContext context, SsfStreams streams, SsfConfiguration configuration, DestinationStore store,
        IOptions<DeliveryOptions> delivery)
    {
        if (await ReadStreamRequestAsync(context, allowEmpty: true) is not { } request)
        {
            return BadBody(context);
        }

        if (await CheckTargetAsync(context, request) is { } refused)
        {
            return refused;
        }

        if (await store.CountAsync(context.RequestAborted) >= delivery.Value.MaxDestinations)
        {
            return Problems.Conflict($"This transmitter keeps at most {delivery.Value.MaxDestinations} destinations ({DeliveryOptions.Section}:MaxDestinations); delete a stream first.");
        }

        var stream = await streams.CreateAsync(context.GetSubscriber(), configuration.Issuer(context.Request), request, context.RequestAborted);
        NoStore(context);
        return TypedResults.Created($"{KavachRoutes.Ssf}/stream?stream_id={stream.StreamId}", SsfStreamConfiguration.Of(stream));
    }

    public static async Task<IResult> ReadAsync(HttpContext context, SsfStreams streams)
    {
        NoStore(context);
        var streamId = context.Request.Query["stream_id"].FirstOrDefault();
        if (streamId is null)
        {
            var all = await streams.ListAsync(context.GetSubscriber(), context.RequestAborted);
            return TypedResults.Ok(all.Select(SsfStreamConfiguration.Of).ToArray());
        }

        return await streams.FindAsync(streamId, context.GetSubscriber(), context.RequestAborted) is { } stream
            ? TypedResults.Ok(SsfStreamConfiguration.Of(stream))
            : NoSuchStream(streamId);
    }

    public static Task<IResult> UpdateAsync(HttpContext context, SsfStreams streams) => ChangeAsync(context, streams, replace: false);

    public static Task<IResult> ReplaceAsync(HttpContext context, SsfStreams streams) => ChangeAsync(context, streams, replace: true);

    private static async Task<IResult> ChangeAsync(HttpContext context, SsfStreams streams, bool replace)
    {
        if (await ReadStreamRequestAsync(context, allowEmpty: false) is not { } request)
        {
            return BadBody(context);
        }

        if (request.StreamId is null)
        {
            return Problems.BadRequest("The body needs 'stream_id': the stream to change.");
        }

        if (await streams.FindAsync(request.StreamId, context.GetSubscriber(), context.RequestAborted) is not { } stream)
        {
            return NoSuchStream(request.StreamId);
        }

        if (request.Contradiction(SsfStreamConfiguration.Of(stream)) is { } contradiction)
        {
            return Problems.BadRequest(contradiction);
        }

        if (replace && !request.HasDelivery)
        {
            return Problems.BadRequest("A replacement (PUT) needs every receiver-supplied member, 'delivery' included; to change some, use PATCH.");
        }

        if (await CheckTargetAsync(context, request) is { } refused)
        {
            return refused;
        }

        NoStore(context);
        return await streams.UpdateAsync(stream, request, replace, context.RequestAborted) is { } updated
            ? TypedResults.Ok(SsfStreamConfiguration.Of(updated))
            : NoSuchStream(request.StreamId);
    }

    public static async Task<IResult> DeleteAsync(HttpContext context, SsfStreams streams)
    {
        var streamId = context.Request.Query["stream_id"].FirstOrDefault();
        if (streamId is null)
        {
            return Problems.BadRequest("Name the stream to delete: DELETE /ssf/stream?stream_id=….");
        }

        if (await streams.FindAsync(streamId, context.GetSubscriber(), context.RequestAborted) is not { } stream
            || !await streams.DeleteAsync(stream, context.RequestAborted))
        {
            return NoSuchStream(streamId);
        }

        NoStore(context);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> StatusAsync(HttpContext context, SsfStreams streams)
    {
        var streamId = context.Request.Query["stream_id"].FirstOrDefault();
        if (streamId is null)
        {
            return Problems.BadRequest("Name the stream: GET /ssf/status?stream_id=….");
        }

        NoStore(context);
        return await streams.FindAsync(streamId, context.GetSubscriber(), context.RequestAborted) is { } stream
            ? TypedResults.Ok(Status(stream))
            : NoSuchStream(streamId);
    }

    public static async Task<IResult> SetStatusAsync(HttpContext context, SsfStreams streams)
    {
        if (await ReadBodyAsync(context) is not { ValueKind: JsonValueKind.Object } body)
        {
            return BadBody(context, "Send {\"stream_id\": \"…\", \"status\": \"enabled\" | \"paused\" | \"disabled\", \"reason\": \"…\" (optional)}.");
        }

        var streamId = Text(body, "stream_id");
        var status = SsfStreams.ParseStatus(Text(body, "status"));
        var reason = Text(body, "reason");
        if (streamId is null || status is null)
        {
            return Problems.BadRequest("'stream_id' and 'status' (enabled, paused or disabled) are required strings.");
        }

        if (reason is { Length: > 500 })
        {
            return Problems.BadRequest("'reason' must be at most 500 characters.");
        }

        if (await streams.FindAsync(streamId, context.GetSubscriber(), context.RequestAborted) is not { } stream
            || await streams.SetStatusAsync(stream, status.Value, reason, context.RequestAborted) is not { } changed)
        {
            return NoSuchStream(streamId);
        }

        NoStore(context);
        return TypedResults.Ok(Status(changed));
    }

    public static Task<IResult> AddSubjectAsync(HttpContext context, SsfStreams streams, SsfSubjects subjects, IOptions<SsfOptions> options) =>
        ChangeSubjectAsync(context, streams, subjects, options.Value, add: true);

    public static Task<IResult> RemoveSubjectAsync(HttpContext context, SsfStreams streams, SsfSubjects subjects, IOptions<SsfOptions> options) =>
        ChangeSubjectAsync(context, streams, subjects, options.Value, add: false);

    private static async Task<IResult> ChangeSubjectAsync(HttpContext context, SsfStreams streams, SsfSubjects subjects, SsfOptions options, bool add)
    {
        if (await ReadBodyAsync(context) is not { ValueKind: JsonValueKind.Object } body)
        {
            return BadBody(context, "Send {\"stream_id\": \"…\", \"subject\": {\"format\": \"iss_sub\", \"iss\": \"…\", \"sub\": \"…\"}}.");
        }

        var streamId = Text(body, "stream_id");
        if (streamId is null || !body.TryGetProperty("subject", out var subject))
        {
            return Problems.BadRequest("'stream_id' (a string) and 'subject' (a subject identifier) are required.");
        }

        if (SsfSubjectId.Check(subject) is { } wrong)
        {
            return Problems.BadRequest(wrong);
        }

        bool? verified = null;
        if (body.TryGetProperty("verified", out var v) && v.ValueKind != JsonValueKind.Null)
        {
            if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Problems.BadRequest("'verified' must be true or false.");
            }

            verified = v.GetBoolean();
        }

        if (await streams.FindAsync(streamId, context.GetSubscriber(), context.RequestAborted) is not { } stream)
        {
            return NoSuchStream(streamId);
        }

        var outcome = add
            ? await subjects.AddAsync(stream, subject, verified, options.MaxSubjectsPerStream, context.RequestAborted)
            : await subjects.RemoveAsync(stream, subject, options.MaxSubjectsPerStream, context.RequestAborted);
        NoStore(context);
        return outcome switch
        {
            SsfSubjects.Outcome.Gone => NoSuchStream(streamId),
            SsfSubjects.Outcome.TooMany => Problems.TooManyRequests(context, "Too many subjects",
                $"A stream keeps at most {options.MaxSubjectsPerStream} subjects ({SsfOptions.Section}:MaxSubjectsPerStream).", TimeSpan.FromMinutes(1)),
            _ => add ? TypedResults.Ok() : TypedResults.NoContent(),
        };
    }

    public static async Task<IResult> VerifyAsync(HttpContext context, SsfStreams streams, SsfOutbox outbox, IOptions<SsfOptions> options)
    {
        if (await ReadBodyAsync(context) is not { ValueKind: JsonValueKind.Object } body)
        {
            return BadBody(context, "Send {\"stream_id\": \"…\", \"state\": \"…\" (optional)}.");
        }

        var streamId = Text(body, "stream_id");
        if (streamId is null)
        {
            return Problems.BadRequest("'stream_id' is a required string.");
        }

        if (body.TryGetProperty("state", out var s) && s.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)
            || Text(body, "state") is { Length: > 1000 })
        {
            return Problems.BadRequest("'state' must be a string of at most 1000 characters.");
        }

        if (await streams.FindAsync(streamId, context.GetSubscriber(), context.RequestAborted) is not { } stream)
        {
            return NoSuchStream(streamId);
        }

        if (!await outbox.AddVerificationAsync(stream, Text(body, "state"), options.Value.MaxPendingVerifications, context.RequestAborted))
        {
            return Problems.TooManyRequests(context, "Verification pending",
                $"{options.Value.MaxPendingVerifications} verification events already wait for this stream; receive or poll them first.", TimeSpan.FromSeconds(5));
        }

        NoStore(context);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> PollAsync(HttpContext context, string streamId, SsfStreams streams, SsfPoll poll)
    {
        var body = await ReadBodyAsync(context, allowEmpty: true);
        if (body is not { ValueKind: JsonValueKind.Object } || ReadPollRequest(body.Value) is not { } request)
        {
            return BadBody(context,
                "Send {\"ack\": [jti…], \"setErrs\": {jti: {\"err\": …, \"description\": …}}, \"maxEvents\": n, \"returnImmediately\": bool} (RFC 8936), each optional.");
        }

        if (await streams.FindAsync(streamId, context.GetSubscriber(), context.RequestAborted) is not { } stream)
        {
            return NoSuchStream(streamId);
        }

        if (stream.IsPush)
        {
            return Problems.BadRequest($"Stream '{streamId}' is delivered by push ({SsfStreamSettings.PushMethod}); change its delivery to poll to poll it.");
        }

        NoStore(context);
        return TypedResults.Ok(await poll.PollAsync(stream, request, context.RequestAborted));
    }

    /// <summary>RFC 8936 §2.2's members, each optional; null when one has the wrong shape.</summary>
    public static SsfPollRequest? ReadPollRequest(JsonElement body)
    {
        var acks = new List<string>();
        if (body.TryGetProperty("ack", out var ack) && ack.ValueKind != JsonValueKind.Null)
        {
            if (ack.ValueKind != JsonValueKind.Array || ack.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String) || ack.GetArrayLength() > 10_000)
            {
                return null;
            }

            acks.AddRange(ack.EnumerateArray().Select(a => a.GetString()!));
        }

        var errors = new Dictionary<string, SsfSetError>(StringComparer.Ordinal);
        if (body.TryGetProperty("setErrs", out var setErrs) && setErrs.ValueKind != JsonValueKind.Null)
        {
            if (setErrs.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var error in setErrs.EnumerateObject())
            {
                if (error.Value.ValueKind != JsonValueKind.Object || Text(error.Value, "err") is not { } err)
                {
                    return null;
                }

                errors[error.Name] = new SsfSetError(err, Text(error.Value, "description"));
            }
        }

        int? maxEvents = null;
        if (body.TryGetProperty("maxEvents", out var max) && max.ValueKind != JsonValueKind.Null)
        {
            if (max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var n) || n < 0)
            {
                return null;
            }

            maxEvents = n;
        }

        var immediately = false;
        if (body.TryGetProperty("returnImmediately", out var now) && now.ValueKind != JsonValueKind.Null)
        {
            if (now.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return null;
            }

            immediately = now.GetBoolean();
        }

        return new SsfPollRequest(acks, errors, maxEvents, immediately);
    }

    private static SsfStreamStatus Status(SsfStream stream) =>
        new(stream.StreamId, SsfStreams.StatusText(stream.Destination.State), stream.Destination.StateReason);

    /// <summary>A push URL must be one the delivery engine will connect to (<see cref="TargetPolicy"/>, against SSRF).</summary>
    private static async Task<ProblemHttpResult?> CheckTargetAsync(HttpContext context, SsfStreamRequest request) =>
        request.Method == SsfStreamSettings.PushMethod
        && await context.RequestServices.GetRequiredService<TargetPolicy>().CheckAsync(request.EndpointUrl, context.RequestAborted) is { } refusal
            ? Problems.BadRequest($"'delivery.endpoint_url': {refusal}")
            : null;

    private static ProblemHttpResult NoSuchStream(string streamId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such stream",
            detail: $"This receiver has no stream '{Shorten(streamId)}'. GET {KavachRoutes.Ssf}/stream lists its streams.");

    private const string BodyErrorKey = "ssf.body-error";

    private static ProblemHttpResult BadBody(HttpContext context, string? example = null) =>
        Problems.BadRequest(string.Join(' ', new[] { context.Items[BodyErrorKey] as string, example }.Where(t => t is not null)));

    private static async Task<SsfStreamRequest?> ReadStreamRequestAsync(HttpContext context, bool allowEmpty)
    {
        if (await ReadBodyAsync(context, allowEmpty) is not { } body)
        {
            return null;
        }

        var request = SsfStreamRequest.Parse(body, out var error);
        context.Items[BodyErrorKey] = error;
        return request;
    }

    /// <summary>The body as JSON (an empty one as <c>{}</c> when allowed); null, with the reason in the request's items, otherwise.</summary>
    private static async Task<JsonElement?> ReadBodyAsync(HttpContext context, bool allowEmpty = false)
    {
        try
        {
            var text = await ReadTextAsync(context.Request, MaxBodyBytes, context.RequestAborted);
            if (text is null)
            {
                context.Items[BodyErrorKey] = $"The body is larger than {MaxBodyBytes / 1024} KiB.";
                return null;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                if (allowEmpty)
                {
                    return JsonDocument.Parse("{}").RootElement.Clone();
                }

                context.Items[BodyErrorKey] = "The body is empty: it must be a JSON object.";
                return null;
            }

            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            context.Items[BodyErrorKey] = $"The body is not JSON: {e.Message}";
            return null;
        }
    }

    private const int MaxBodyBytes = 256 * 1024;

    /// <summary>The body as UTF-8 text, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    private static async Task<string?> ReadTextAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string? Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}
