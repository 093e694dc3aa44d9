using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Limits;

/// <summary>
/// <c>Kavach:Limits</c> in the pipeline: per address and per replica (ASP.NET Core's rate limiter, before the token is
/// checked), per subject (an endpoint filter, after it). Every refusal is a <see cref="LimitRefusal"/>.
/// </summary>
public static class RequestLimits
{
    public static IHostApplicationBuilder AddRequestLimits(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsValidation>();
        services.AddSingleton<SubjectLimits>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LimitsOptions>>((limiter, options) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = AddressLimits.Create(options.Value);
            limiter.OnRejected = AddressLimits.OnRejectedAsync;
            foreach (var endpoint in Enum.GetValues<LimitedEndpoint>().Where(e => e.IsHistoryRead()))
            {
                limiter.AddPolicy(ConcurrencyPolicy.NameOf(endpoint), new ConcurrencyPolicy(endpoint, (ReadLimit)endpoint.In(options.Value).Limit));
            }
        });
        return builder;
    }

    /// <summary>Per address and per replica: after routing (it needs the endpoint), before anything reads the token.</summary>
    public static WebApplication UseRequestLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// The endpoint's limits: per address, at once (reads), and per subject when the endpoint checks a token —
    /// call it after <c>AddEndpointFilter(new RequireToken(...))</c>, so the subject is a validated one.
    /// </summary>
    public static RouteHandlerBuilder WithLimits(this RouteHandlerBuilder route, LimitedEndpoint endpoint)
    {
        route.WithMetadata(new LimitedAs(endpoint));
        if (endpoint.IsHistoryRead())
        {
            route.RequireRateLimiting(ConcurrencyPolicy.NameOf(endpoint));
        }

        if (endpoint.HasTokenSubject())
        {
            route.AddEndpointFilter(new SubjectLimitFilter(endpoint));
        }

        return route;
    }
}
