using Kavach.Client;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="KavachClient"/> with IHttpClientFactory.</summary>
public static class KavachClientServiceCollectionExtensions
{
    /// <summary>The name of the client's HttpClient, for adding handlers to it.</summary>
    public const string HttpClientName = "Kavach.Client";

    /// <summary>
    /// Registers <see cref="KavachClient"/> over a named HttpClient with an infinite timeout and no resilience
    /// handlers: an app-wide standard resilience handler (Aspire's service defaults add one) would cut a stream
    /// after its total timeout and retry emits on its own; the client does both itself. Service discovery, when
    /// the app adds it to every HttpClient, still applies, so <c>https+http://streamapi</c> works as a base address.
    /// </summary>
    public static IHttpClientBuilder AddKavachClient(this IServiceCollection services, Action<IServiceProvider, KavachClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<KavachClientOptions>().Configure<IServiceProvider>((options, provider) => configure(provider, options));
        var builder = services.AddHttpClient(HttpClientName, (provider, http) =>
        {
            http.BaseAddress = provider.GetRequiredService<IOptions<KavachClientOptions>>().Value.BaseAddress;
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
#pragma warning disable EXTEXP0001 // The supported way to opt one client out of ConfigureHttpClientDefaults' handlers.
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddTypedClient((http, provider) => new KavachClient(http, provider.GetRequiredService<IOptions<KavachClientOptions>>().Value));
        return builder;
    }

    /// <inheritdoc cref="AddKavachClient(IServiceCollection, Action{IServiceProvider, KavachClientOptions})"/>
    public static IHttpClientBuilder AddKavachClient(this IServiceCollection services, Action<KavachClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddKavachClient((_, options) => configure(options));
    }
}
