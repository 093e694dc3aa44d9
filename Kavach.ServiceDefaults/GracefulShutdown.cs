using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kavach.ServiceDefaults;

/// <summary>
/// How long the host may take to stop after SIGTERM (<c>Kavach:ShutdownTimeout</c>, default 20 s). It must end before
/// the platform's own limit — Azure Container Apps kills a replica <c>terminationGracePeriodSeconds</c> (30 s by
/// default; infra/ sets it) after SIGTERM — so streams are closed and telemetry flushed, not cut off.
/// </summary>
public static class GracefulShutdown
{
    public const string Key = "Kavach:ShutdownTimeout";
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    public static TBuilder AddGracefulShutdown<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var timeout = builder.Configuration.GetValue<TimeSpan?>(Key) ?? Default;
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(10))
        {
            throw new InvalidOperationException($"{Key} must be between 0 and 10 minutes (it is {timeout}).");
        }

        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = timeout);
        return builder;
    }
}
