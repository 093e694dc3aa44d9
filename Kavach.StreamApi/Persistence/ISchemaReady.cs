namespace Kavach.StreamApi.Persistence;

/// <summary>Completes once the schema is this build's (<c>Migrations.SchemaInitializer</c>): nothing reads the stream before.</summary>
public interface ISchemaReady
{
    Task Ready { get; }
}
