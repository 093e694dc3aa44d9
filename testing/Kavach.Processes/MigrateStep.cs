namespace Kavach.Processes;

/// <summary>
/// The migrate step as a deployment runs it before the replicas: <c>dotnet Kavach.StreamApi.dll migrate</c> with the
/// owner's connection (here PostgreSQL's superuser), which migrates the schema and creates and grants the service's own
/// role (<see cref="PostgresServer.AppRole"/>). The replicas then connect as that role
/// (<see cref="PostgresServer.AppConnectionStringFor"/>): they may add and read events, never change or delete them.
/// </summary>
public static class MigrateStep
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(150); // the step's own budget (2 minutes) and its start

    /// <param name="settings">More of the step's settings, e.g. <c>Kavach__Stream__Retention</c>: the least age retention may remove.</param>
    public static Task RunAsync(PostgresServer postgres, string database, string streamApiAssembly, string logDirectory,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["ConnectionStrings__kavachdb"] = postgres.ConnectionStringFor(database),
            ["Kavach__Database__AppRole"] = PostgresServer.AppRole,
            ["Kavach__Database__AppRolePassword"] = postgres.AppPassword,
        };
        return RunAsync(streamApiAssembly, environment, Path.Combine(logDirectory, $"migrate-{database}.log"));
    }

    /// <summary>The step with exactly these settings (the owner's connection, the service role's name and password, …).</summary>
    public static async Task RunAsync(string streamApiAssembly, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var settings = new Dictionary<string, string>(environment) { ["Logging__Console__FormatterName"] = "simple" };
        var step = ChildProcess.Start($"migrate ({Path.GetFileNameWithoutExtension(logPath)})", ApiReplica.DotnetHost, [streamApiAssembly, "migrate"],
            settings, logPath, Path.GetDirectoryName(streamApiAssembly));
        await step.WaitForExitAsync(Timeout);
        if (step.ExitCode != 0)
        {
            throw new InvalidOperationException($"The migrate step failed ({step.ExitCode}):\n{step.LogTail()}");
        }
    }
}
