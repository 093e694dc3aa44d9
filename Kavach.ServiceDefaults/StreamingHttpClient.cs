using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Kavach.ServiceDefaults;

/// <summary>
/// An HttpClient for long-lived Server-Sent Events reads. The standard resilience handler's total and
/// attempt timeouts (and its retries) would cut a stream that is meant to stay open for hours, so this
/// client keeps service discovery but drops those policies; the caller owns reconnection.
/// </summary>
public static class StreamingHttpClient
{
    public static IHttpClientBuilder AddStreamingHttpClient(this IServiceCollection services, string name, Uri baseAddress)
    {
        var builder = services.AddHttpClient(name, client =>
        {
            client.BaseAddress = baseAddress;
            client.Timeout = Timeout.InfiniteTimeSpan;
        });
#pragma warning disable EXTEXP0001 // The supported way to opt one client out of ConfigureHttpClientDefaults' handler.
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddServiceDiscovery();
        return builder;
    }
}
