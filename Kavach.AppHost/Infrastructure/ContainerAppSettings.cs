namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// Health endpoints for the local orchestrator in run mode, and in publish mode (azd reads the manifest for Azure
/// Container Apps) what a service behind the ingress needs. Session affinity, scale rules and the termination grace
/// period have no place in the manifest: infra/ sets them.
/// </summary>
internal static class ContainerAppSettings
{
    public static IResourceBuilder<ProjectResource> WithHealthProbes(this IResourceBuilder<ProjectResource> project)
    {
        if (!project.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            return project.WithHttpHealthCheck("/health");
        }

        // TLS ends at the ingress: the service must read the scheme and client address from its X-Forwarded-* headers.
        // The probes go to the plain HTTP port the ingress forwards to (a readiness probe is also the health check).
#pragma warning disable ASPIREPROBES001 // probe annotations are marked experimental in Aspire 13.6
        return project
            .WithExternalHttpEndpoints()
            .WithEnvironment("Kavach__Ingress__TrustForwardedHeaders", "true")
            .WithHttpProbe(ProbeType.Liveness, "/alive", endpointName: "http")
            .WithHttpProbe(ProbeType.Readiness, "/health", endpointName: "http");
#pragma warning restore ASPIREPROBES001
    }
}
