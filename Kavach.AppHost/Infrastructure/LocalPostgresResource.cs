namespace Kavach.AppHost.Infrastructure;

/// <summary>The machine's own PostgreSQL server, run by scripts/run-postgres.sh, serving one database.</summary>
public sealed class LocalPostgresResource(string name, string scriptDirectory, string databaseName, string password)
    : ExecutableResource(name, "bash", scriptDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    public string DatabaseName { get; } = databaseName;

    internal string Password { get; } = password;

    public EndpointReference Endpoint => field ??= new EndpointReference(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};" +
        $"Username=postgres;Password={Password};Database={DatabaseName}");
}
