namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// PostgreSQL as the AppHost wires it: the server to wait for, the owner's connection (the migrate step's only: it owns
/// the schema and creates the service's role) and the service's own (role <see cref="AppRole"/>, which may add and read
/// events but not change or delete them), with the password the migrate step gives that role.
/// </summary>
internal sealed record KavachDatabase(
    IResourceBuilder<IResource> Server,
    IResourceBuilder<IResourceWithConnectionString> Owner,
    IResourceBuilder<IResourceWithConnectionString> Service,
    IResourceBuilder<ParameterResource> AppPassword)
{
    /// <summary>The service's role (<c>Kavach:Database:AppRole</c>).</summary>
    public const string AppRole = "kavach_app";

    /// <summary>The local PostgreSQL's owner of the database and schema (containers and Azure use their administrator).</summary>
    public const string OwnerRole = "kavach_owner";

    public static ReferenceExpression ConnectionString(EndpointReference endpoint, string role, ParameterResource password, string databaseName) =>
        ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};" +
            $"Username={role};Password={password};Database={databaseName}");
}
