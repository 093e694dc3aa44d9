namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// Azurite's Blob service (npm <c>azurite</c>), run by scripts/run-azurite.sh: the checkpoint witness of local runs, in
/// place of Azure Blob Storage. One account with a key made for the run; the blobs stay between runs.
/// </summary>
public sealed class LocalAzuriteResource(string name, string scriptDirectory, string accountKey)
    : ExecutableResource(name, "bash", scriptDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "blob";
    internal const string AccountName = "kavach";

    internal string AccountKey { get; } = accountKey;

    public EndpointReference Endpoint => field ??= new EndpointReference(this, EndpointName);

    /// <summary>
    /// By IP address: the Azure SDK reads the account from the path only for an IP host (or the emulator's usual ports),
    /// and would take "localhost:port/kavach" as an account named by the host.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://{Endpoint.Property(EndpointProperty.IPV4Host)}:{Endpoint.Property(EndpointProperty.Port)}/{AccountName};");
}
