using Kavach.StreamApi.FanOut;

namespace Kavach.StreamApi.Integrity.Merkle;

public static class MerkleTreeServices
{
    /// <summary>
    /// The tree over the log: built on every replica from what its hub delivers (an <see cref="IDeliveryObserver"/>),
    /// giving the signer its tree heads (<see cref="ITreeHeads"/>) and the API its proofs.
    /// </summary>
    public static IServiceCollection AddMerkleTree(this IServiceCollection services)
    {
        services.AddSingleton<TreeMetrics>();
        services.AddSingleton<ITreeStore, TreeStore>();
        services.AddSingleton<TreeReader>();
        services.AddSingleton<TreeRecovery>();
        services.AddSingleton<TreeBuilder>();
        services.AddSingleton<ITreeHeads>(sp => sp.GetRequiredService<TreeBuilder>());
        services.AddSingleton<IDeliveryObserver>(sp => sp.GetRequiredService<TreeBuilder>());
        services.AddHostedService(sp => sp.GetRequiredService<TreeBuilder>());
        services.AddSingleton<TreeProofs>();
        return services;
    }
}
