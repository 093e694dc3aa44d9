using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kavach.ServiceDefaults;

/// <summary>
/// Behind an ingress that ends TLS (Azure Container Apps, a load balancer), the scheme and the client's address arrive
/// in <c>X-Forwarded-Proto</c> and <c>X-Forwarded-For</c>. Honouring them gives <c>Secure</c> cookies, <c>https://</c>
/// URLs and per-address limits on the real client. Off by default: on a directly reachable port they would let any
/// client claim any address.
/// </summary>
/// <remarks>
/// Settings under <c>Kavach:Ingress</c>: <c>TrustForwardedHeaders</c> turns it on; <c>KnownNetworks</c> (CIDR, e.g.
/// <c>10.0.0.0/23</c>) limits whose headers are believed. With no networks given every sender is believed, which is
/// right only where the ingress is the one way in — as on Container Apps, where the app's port has no public address
/// and the environment's proxies have no fixed addresses. Only the last hop is read (<c>ForwardLimit</c> 1): the
/// entry the ingress itself appended, never one a client wrote.
/// </remarks>
public static class IngressForwardedHeaders
{
    public const string Section = "Kavach:Ingress";

    /// <summary>ASP.NET Core's own switch (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>), which Aspire's manifest sets.</summary>
    private const string BuiltInSwitch = "FORWARDEDHEADERS_ENABLED";

    public static TBuilder AddIngressForwardedHeaders<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var section = builder.Configuration.GetSection(Section);
        var networks = (section.GetSection("KnownNetworks").Get<string[]>() ?? [])
            .Select(text => System.Net.IPNetwork.TryParse(text, out var network)
                ? network
                : throw new InvalidOperationException($"{Section}:KnownNetworks has '{text}', which is not a network in CIDR form such as 10.0.0.0/23."))
            .ToList();

        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = 1;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(network);
            }
        });
        return builder;
    }

    /// <summary>
    /// First in the pipeline, so everything after it (cookies, redirects, limits, logs) sees the client's view. Where
    /// ASP.NET Core's own switch is on, it already runs the middleware first (with the options above): running it a
    /// second time would read the next hop too — one the client wrote.
    /// </summary>
    public static WebApplication UseForwardedHeadersFromIngress(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>($"{Section}:TrustForwardedHeaders") && !app.Configuration.GetValue<bool>(BuiltInSwitch))
        {
            app.UseForwardedHeaders();
        }

        return app;
    }
}
