using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.Client;

public sealed partial class KavachClient
{
    /// <summary>Emits one event; answers once it is committed. See <see cref="EmitBatchAsync"/> for the retries.</summary>
    public async Task<EmittedEvent> EmitAsync(NewEvent newEvent, CancellationToken cancellationToken = default) =>
        (await PostAsync([newEvent], batch: false, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Emits a batch, all or nothing; answers once it is committed, with each event's id and sequence in order.
    /// Each event gets its id before the first attempt, and every retry (after a 503, 429, 408, 5xx, a timeout or
    /// a broken connection — answers that leave the outcome open) sends the same ids, so each event is stored once.
    /// Throws <see cref="KavachRequestException"/> for a batch the server refuses (400, 413: nothing stored),
    /// <see cref="KavachAuthorizationException"/> for 401/403, and <see cref="KavachUnavailableException"/> (with
    /// the ids, to retry later) when every attempt failed.
    /// </summary>
    public Task<IReadOnlyList<EmittedEvent>> EmitBatchAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.Count == 0
            ? throw new ArgumentException("A batch holds at least one event.", nameof(events))
            : PostAsync(events, batch: true, cancellationToken);
    }

    private async Task<IReadOnlyList<EmittedEvent>> PostAsync(IReadOnlyList<NewEvent> events, bool batch, CancellationToken cancellationToken)
    {
        NewEvent[] identified = [.. events.Select(e => e.Id is null ? e with { Id = Guid.CreateVersion7().ToString() } : e)];
        string[] ids = [.. identified.Select(e => e.Id!)];
        var body = batch
            ? JsonSerializer.SerializeToUtf8Bytes(identified, KavachJson.Options)
            : JsonSerializer.SerializeToUtf8Bytes(identified[0], KavachJson.Options);

        using var activity = KavachClientTelemetry.Source.StartActivity("kavach.emit", ActivityKind.Client);
        activity?.SetTag("kavach.emit.events", identified.Length);
        var backoff = new ReconnectBackoff(_options.ReconnectInitialDelay, _options.ReconnectMaxDelay);
        string last = "no attempt";
        var mayBeStored = false;
        Exception? lastError = null;
        for (var attempt = 1; attempt <= _options.EmitAttempts; attempt++)
        {
            TimeSpan? retryAfter = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, KavachRoutes.Events)
                    {
                        Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
                    };
                    await AuthorizeAsync(request, timeout.Token).ConfigureAwait(false);
                    using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        var answer = await response.Content.ReadFromJsonAsync<EmitAnswer>(KavachJson.Options, timeout.Token).ConfigureAwait(false);
                        activity?.SetTag("kavach.emit.attempts", attempt);
                        return answer?.Events ?? throw new KavachUnavailableException("The emit answer had no events.", ids, mayBeStored: true);
                    }

                    await ThrowIfFinalAsync(response, timeout.Token).ConfigureAwait(false);
                    var problem = await RefusalReader.ProblemAsync(response, timeout.Token).ConfigureAwait(false);
                    last = $"{(int)response.StatusCode} {problem?.Title}";
                    mayBeStored |= problem?.MayBeStored ?? response.StatusCode != HttpStatusCode.TooManyRequests;
                    retryAfter = RefusalReader.RetryAfter(response);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    (last, lastError, mayBeStored) = ("no answer within " + _options.RequestTimeout, e, true);
                }
                catch (HttpRequestException e)
                {
                    // The request may have reached the server and committed: only the same ids make a retry safe.
                    (last, lastError, mayBeStored) = (e.Message, e, true);
                }
            }

            if (attempt < _options.EmitAttempts)
            {
                await Task.Delay(backoff.Next(retryAfter), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }

        activity?.SetStatus(ActivityStatusCode.Error, last);
        throw new KavachUnavailableException(
            $"The emit had no answer after {_options.EmitAttempts} attempts (last: {last}); retry with the same ids: each is stored once.",
            ids, mayBeStored, lastError);
    }

    /// <summary>Answers that retrying cannot change become typed exceptions.</summary>
    private static async Task ThrowIfFinalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (RefusalReader.IsAuthorization(response.StatusCode))
        {
            throw await RefusalReader.AuthorizationAsync(response, cancellationToken).ConfigureAwait(false);
        }

        if (RefusalReader.IsRequestError(response.StatusCode))
        {
            throw new KavachRequestException((int)response.StatusCode, await RefusalReader.ProblemAsync(response, cancellationToken).ConfigureAwait(false));
        }
    }

    private async Task AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (await AccessToken.GetAsync(_options, cancellationToken).ConfigureAwait(false) is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }
}
