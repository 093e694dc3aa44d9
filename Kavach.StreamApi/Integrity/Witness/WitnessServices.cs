using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity.Witness;

public static class WitnessServices
{
    /// <summary>
    /// The checkpoint witness <c>Kavach:Integrity:Witness</c> describes (Blob Storage, a file, or none), its retries and
    /// the comparison verification makes with it.
    /// </summary>
    public static IHostApplicationBuilder AddCheckpointWitness(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<WitnessOptions>().BindConfiguration(WitnessOptions.Section)
            .PostConfigure<IConfiguration>((witness, configuration) => witness.ConnectionString = configuration.GetConnectionString(WitnessOptions.ConnectionName))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WitnessMetrics>();
        services.AddSingleton<ICheckpointWitness>(sp => sp.GetRequiredService<IOptions<WitnessOptions>>().Value switch
        {
            { EffectiveKind: WitnessKind.Blob } blob => ActivatorUtilities.CreateInstance<BlobCheckpointWitness>(sp, BlobWitnessContainer.Create(blob)),
            { EffectiveKind: WitnessKind.File } => ActivatorUtilities.CreateInstance<FileCheckpointWitness>(sp),
            _ => new NoCheckpointWitness(),
        });
        services.AddSingleton<WitnessComparison>();
        services.AddSingleton<CheckpointWitnessing>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointWitnessing>());
        return builder;
    }
}
