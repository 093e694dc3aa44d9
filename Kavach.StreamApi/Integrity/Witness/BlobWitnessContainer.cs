using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Kavach.StreamApi.Options;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>The witness's container client, from a connection string, a URI with a SAS, or a URI and Azure.Identity.</summary>
public static class BlobWitnessContainer
{
    public static BlobContainerClient Create(WitnessOptions options)
    {
        var client = new BlobClientOptions();
        client.Retry.MaxRetries = 2;
        client.Retry.NetworkTimeout = options.Timeout;
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new BlobServiceClient(options.ConnectionString, client).GetBlobContainerClient(options.Container);
        }

        var service = options.ServiceUri!;
        if (service.Query.Contains("sig=", StringComparison.Ordinal))
        {
            return new BlobServiceClient(service, client).GetBlobContainerClient(options.Container);
        }

        return new BlobServiceClient(service, Credential(options), client).GetBlobContainerClient(options.Container);
    }

    /// <summary>DefaultAzureCredential: on Azure the managed identity (the user-assigned one named), elsewhere a developer's sign-in.</summary>
    private static TokenCredential Credential(WitnessOptions options) => new DefaultAzureCredential(new DefaultAzureCredentialOptions
    {
        ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId,
    });
}
