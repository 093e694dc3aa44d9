namespace Kavach.AppHost.Infrastructure;

/// <summary>How PostgreSQL and Redis are run: setting <c>Kavach:Infrastructure</c>.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers where a container engine answers, local processes otherwise.</summary>
    Auto,

    /// <summary>Aspire's standard container resources (always used in publish mode).</summary>
    Containers,

    /// <summary>The machine's own postgres/initdb and redis-server, as executable resources.</summary>
    Local,
}
