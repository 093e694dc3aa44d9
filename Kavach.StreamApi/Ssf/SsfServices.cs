using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Options;

namespace Kavach.StreamApi.Ssf;

/// <summary>The SSF transmitter's services: its settings, keys, streams, subjects, outbox, poll, and its push channel for the engine.</summary>
public static class SsfServices
{
    public static IServiceCollection AddSsfTransmitter(this IServiceCollection services)
    {
        services.AddOptions<SsfOptions>().BindConfiguration(SsfOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SsfConfiguration>();
        services.AddSingleton<SsfKeys>();
        services.AddSingleton<SetBuilder>();
        services.AddSingleton<SsfStreams>();
        services.AddSingleton<SsfSubjects>();
        services.AddSingleton<SsfOutbox>();
        services.AddSingleton<SsfPoll>();
        services.AddSingleton<SsfChannel>();
        services.AddSingleton<IPushChannel>(sp => sp.GetRequiredService<SsfChannel>());
        return services;
    }
}
