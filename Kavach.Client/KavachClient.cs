using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>
/// The Kavach stream API from .NET: <see cref="Stream"/> follows the live stream (each event once, in order, across
/// any disconnect), <see cref="EmitAsync"/> and <see cref="EmitBatchAsync"/> emit with safe retries, and
/// <see cref="ReadHistoryAsync"/> pages through stored events. Thread-safe; one per application is enough.
/// Register it with <c>services.AddKavachClient(...)</c>, or build it over an <see cref="HttpClient"/> whose
/// timeout is infinite (streams stay open for hours; each other request has <see cref="KavachClientOptions.RequestTimeout"/>).
/// </summary>
public sealed partial class KavachClient
{
    private readonly HttpClient _http;
    private readonly KavachClientOptions _options;

    public KavachClient(HttpClient http, KavachClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.BaseAddress is { } baseAddress && http.BaseAddress is null)
        {
            http.BaseAddress = baseAddress;
        }

        if (http.BaseAddress is null)
        {
            throw new ArgumentException("Give KavachClientOptions.BaseAddress (or an HttpClient with a BaseAddress).", nameof(options));
        }

        _http = http;
        _options = options;
    }

    /// <summary>
    /// The stream for <paramref name="request"/> (all events from now on by default). Nothing is sent until it is
    /// enumerated; then it connects, and reconnects, until the enumeration is cancelled or the token is refused.
    /// </summary>
    public KavachStream Stream(StreamRequest? request = null) => new(_http, _options, request ?? new StreamRequest());
}
