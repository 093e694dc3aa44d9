namespace Kavach.AppHost.Infrastructure;

/// <summary>The machine's own redis-server, run by scripts/run-redis.sh.</summary>
public sealed class LocalRedisResource(string name, string scriptDirectory, string password)
    : ExecutableResource(name, "bash", scriptDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    internal string Password { get; } = password;

    public EndpointReference Endpoint => field ??= new EndpointReference(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)},password={Password}");
}
