namespace Kavach.FaultTests.Deployment;

/// <summary>
/// The settings infra/resources.bicep gives each container app, as the rehearsal gives them to its processes: the same
/// keys (BicepTests checks that), with this machine's values for the secrets and addresses, and the heartbeat and idle
/// timeout scaled down together so a quiet period longer than the idle timeout fits in a test.
/// </summary>
public static class AcaSettings
{
    public const string ConsoleClientId = "kavach-console";
    public const string ResponderClientId = "kavach-console-responder";

    /// <summary>The response credential's secret: made per run, as the deployment's Key Vault secret would hold one.</summary>
    private static readonly string ResponderClientSecret = "rehearsal-responder-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());

    /// <param name="witness">The witness's Blob service: on Azure its endpoint, reached with the managed identity; here Azurite's, with a SAS.</param>
    public static Dictionary<string, string> StreamApi(string postgres, string redis, string signingKey, string consoleClientSecret,
        TimeSpan heartbeatInterval, TimeSpan ingressIdleTimeout, Uri witness) => new(Shared)
    {
        ["ConnectionStrings__kavachdb"] = postgres,
        ["ConnectionStrings__redis"] = redis,
        ["Kavach__Auth__SigningKey"] = signingKey,
        ["Kavach__Integrity__CheckpointKey"] = CheckpointKey,
        ["Kavach__Integrity__Witness__ServiceUri"] = witness.ToString(),
        // Unused with a SAS: the rehearsal has no managed identity, and the key is here so the settings match the Bicep's.
        ["Kavach__Integrity__Witness__ManagedIdentityClientId"] = "00000000-0000-0000-0000-000000000000",
        ["Kavach__Auth__Clients__0__Id"] = ConsoleClientId,
        ["Kavach__Auth__Clients__0__Secret"] = consoleClientSecret,
        ["Kavach__Auth__Clients__0__Scopes"] = "events:read alerts:write",
        ["Kavach__Auth__Clients__1__Id"] = ResponderClientId,
        ["Kavach__Auth__Clients__1__Secret"] = ResponderClientSecret,
        ["Kavach__Auth__Clients__1__Scopes"] = "events:revoke",
        ["Kavach__Stream__HeartbeatInterval"] = heartbeatInterval.ToString("c"),
        ["Kavach__Stream__IngressIdleTimeout"] = ingressIdleTimeout.ToString("c"),
        ["Kavach__Stream__MaxConnections"] = StreamApiMaxConnections,
    };

    /// <summary>infra/main.bicep's default for streamApiMaxConnections (a test checks they agree).</summary>
    public const string StreamApiMaxConnections = "16000";

    public static Dictionary<string, string> Console(string redis, Uri streamApi, string consoleClientSecret, string accessKey) => new(Shared)
    {
        ["ConnectionStrings__redis"] = redis,
        ["StreamApi__BaseAddress"] = streamApi.ToString(),
        ["StreamApi__ClientId"] = ConsoleClientId,
        ["StreamApi__ClientSecret"] = consoleClientSecret,
        ["StreamApi__ResponderClientId"] = ResponderClientId,
        ["StreamApi__ResponderClientSecret"] = ResponderClientSecret,
        // The rehearsal reaches no Entra ID: it signs in with the explicit fallback, the access key. The OpenID Connect
        // keys are there (as the Bicep sets them) and unused in that mode.
        ["Console__Auth__Mode"] = "AccessKey",
        ["Console__Auth__Authority"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
        ["Console__Auth__ClientId"] = "11111111-1111-1111-1111-111111111111",
        ["Console__Auth__ClientSecret"] = "unused-in-access-key-mode",
        ["Console__AccessKey"] = accessKey,
    };

    /// <summary>The migrate step, the API's init container: the administrator's connection, the service role and its password.</summary>
    public static Dictionary<string, string> Migrate(string ownerPostgres, string appRole, string appRolePassword) => new()
    {
        ["ConnectionStrings__kavachdb"] = ownerPostgres,
        ["Kavach__Database__AppRole"] = appRole,
        ["Kavach__Database__AppRolePassword"] = appRolePassword,
    };

    public static IReadOnlyCollection<string> MigrateKeys => Migrate("", "", "").Keys;

    public static IReadOnlyCollection<string> StreamApiKeys =>
        StreamApi("", "", "", "", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), new Uri("https://witness")).Keys;

    public static IReadOnlyCollection<string> ConsoleKeys => Console("", new Uri("https://streamapi"), "", "").Keys;

    /// <summary>A checkpoint signing key made for the run, as the deployment's Key Vault secret would hold one.</summary>
    private static readonly string CheckpointKey =
        System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem();

    private static readonly Dictionary<string, string> Shared = new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Kavach__Ingress__TrustForwardedHeaders"] = "true",
        ["Kavach__ShutdownTimeout"] = "00:00:20",
        // On Azure, Application Insights' connection string. Empty here: the service defaults treat it as unset and
        // export nowhere, so the rehearsal sends nothing to a telemetry endpoint it cannot reach.
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "",
    };
}
