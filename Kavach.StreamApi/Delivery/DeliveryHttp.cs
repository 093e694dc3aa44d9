using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// The one HTTP client that pushes to destinations. It connects only where <see cref="TargetPolicy"/> allows — checked
/// on each address it actually connects to, after its own DNS lookup — follows no redirect (a 3xx is a failure, or a
/// receiver could point the service anywhere), uses no proxy, and bounds each attempt by
/// <see cref="DeliveryOptions.Timeout"/>.
/// </summary>
public sealed class DeliveryHttp : IDisposable
{
    private const int ReasonLength = 200;

    private readonly HttpClient _client;
    private readonly DeliveryOptions _options;
    private readonly SemaphoreSlim _sends;

    public DeliveryHttp(TargetPolicy policy, IOptions<DeliveryOptions> options)
    {
        _options = options.Value;
        _sends = new SemaphoreSlim(_options.MaxConcurrentSends);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = _options.Timeout,
            // DNS answers change: a pooled connection does not outlive them by much.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(policy, context.DnsEndPoint, cancellationToken),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Kavach-Delivery/1");
    }

    /// <summary>
    /// Sends one request and reads the answer, never throwing for the receiver's sake: a refused target, a timeout, a
    /// connection that fails and any status are all an <see cref="SendOutcome"/>. Waits for a slot of
    /// <see cref="DeliveryOptions.MaxConcurrentSends"/> first.
    /// </summary>
    public async Task<SendOutcome> SendAsync(HttpRequestMessage request, Func<HttpResponseMessage, bool> accepted, CancellationToken cancellationToken)
    {
        await _sends.WaitAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(_options.Timeout);
            try
            {
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
                if (accepted(response))
                {
                    return new SendOutcome(SendResult.Accepted, null, (int)response.StatusCode, Stopwatch.GetElapsedTime(started));
                }

                var reason = (int)response.StatusCode is >= 300 and < 400
                    ? $"HTTP {(int)response.StatusCode}: redirects are not followed; point the destination at the final URL"
                    : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}{await ExcerptAsync(response, attempt.Token)}";
                return new SendOutcome(SendResult.Rejected, reason, (int)response.StatusCode, Stopwatch.GetElapsedTime(started));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new SendOutcome(SendResult.Failed, $"no answer within {_options.Timeout.TotalSeconds:0.###} s", null, Stopwatch.GetElapsedTime(started));
            }
            catch (HttpRequestException e) when (Find<TargetRefusedException>(e) is { } refused)
            {
                return new SendOutcome(SendResult.Refused, refused.Message, null, Stopwatch.GetElapsedTime(started));
            }
            catch (HttpRequestException e)
            {
                return new SendOutcome(SendResult.Failed, Describe(e), null, Stopwatch.GetElapsedTime(started));
            }
        }
        finally
        {
            _sends.Release();
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);

    private static async ValueTask<Stream> ConnectAsync(TargetPolicy policy, DnsEndPoint target, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(target.Host, cancellationToken);
        string? refusal = null;
        Exception? failure = null;
        foreach (var address in addresses)
        {
            if (policy.Refusal(address) is { } refused)
            {
                refusal ??= target.Host == address.ToString() ? refused : $"{target.Host} resolves to {refused}";
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failure = e;
            }
        }

        if (failure is not null)
        {
            throw failure;
        }

        throw new TargetRefusedException(refusal ?? $"{target.Host} resolves to no address");
    }

    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var buffer = new char[ReasonLength];
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
            var read = await reader.ReadBlockAsync(buffer, cancellationToken);
            var text = new string(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : $": {text}";
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            return "";
        }
    }

    private static string Describe(HttpRequestException e)
    {
        var socket = Find<SocketException>(e);
        return socket is not null ? $"connection failed: {socket.SocketErrorCode}" : $"request failed: {e.HttpRequestError}";
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    public void Dispose()
    {
        _client.Dispose();
        _sends.Dispose();
    }
}

/// <summary>How one attempt went: accepted, answered with a refusal, failed on the way, or refused by the target policy.</summary>
public enum SendResult
{
    Accepted,
    Rejected,
    Failed,
    Refused,
}

/// <summary>One attempt's result, its reason for last_error (status and a short excerpt, never a secret) and how long it took.</summary>
public sealed record SendOutcome(SendResult Result, string? Error, int? Status, TimeSpan Duration)
{
    public bool IsAccepted => Result == SendResult.Accepted;
}

/// <summary>The target policy refused every address the destination's host has.</summary>
public sealed class TargetRefusedException(string message) : IOException(message);
