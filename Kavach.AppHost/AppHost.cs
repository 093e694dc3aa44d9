using Kavach.AppHost.Infrastructure;
using Kavach.Contracts;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = InfrastructurePlan.Resolve(builder);

// Only the stream API holds the key that signs its tokens. The console gets a client secret instead, and asks the API
// for its own short-lived tokens with it: read-only, plus emit for the local demo traffic and (locally) admin for its
// destinations page.
var signingKey = builder.AddParameter("kavach-signing-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
var consoleClientSecret = builder.AddParameter("console-client-secret",
    new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
const string ConsoleClient = "kavach-console";
// The console's response credential (docs/security.md): a client of its own that may only revoke (events:revoke), so
// the console's other tokens never can, and this one can read and emit nothing.
var responderClientSecret = builder.AddParameter("console-responder-client-secret",
    new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
const string ResponderClient = "kavach-console-responder";

var database = builder.AddKavachDatabase(infrastructure, databaseName: "kavachdb");
var redis = builder.AddKavachRedis(infrastructure);
var witnessDirectory = WitnessDataDirectory.Resolve(builder.Configuration);
var witness = builder.AddKavachWitness(infrastructure, witnessDirectory);

// The owner migrates the schema and grants the service its own role before any replica starts: the same build, run once
// with the owner's connection. The replicas connect as that role, which may add and read events but never change or
// delete them (docs/integrity.md, "Least privilege").
var migrate = builder.AddProject<Projects.Kavach_StreamApi>("migrate", project => project.ExcludeLaunchProfile = true)
    .WithArgs("migrate")
    .WithReference(database.Owner, connectionName: "kavachdb").WaitFor(database.Server)
    .WithEnvironment("Kavach__Database__AppRole", KavachDatabase.AppRole)
    .WithEnvironment("Kavach__Database__AppRolePassword", database.AppPassword);

var streamApi = builder.AddProject<Projects.Kavach_StreamApi>("streamapi")
    .WithReference(database.Service, connectionName: "kavachdb").WaitForCompletion(migrate)
    .WithEnvironment("Kavach__Auth__SigningKey", signingKey)
    .WithEnvironment("Kavach__Auth__Clients__0__Id", ConsoleClient)
    .WithEnvironment("Kavach__Auth__Clients__0__Secret", consoleClientSecret)
    // events:admin is for the console's destinations page (pause, resume, redeliver push destinations): the console asks
    // for it in a token of its own for those calls only, never for its stream. The client secret can still obtain it, so
    // a compromised console could manage destinations and revocations too; a later issue narrows this credential. Publish
    // mode (and infra/) keep the console read-only until then: its destinations page says it lacks the scope.
    // alerts:write lets every console instance raise alerts and record who acknowledged or resolved them (docs/console.md, "Alerts").
    .WithEnvironment("Kavach__Auth__Clients__0__Scopes", builder.ExecutionContext.IsRunMode
        ? $"{KavachScopes.Read} {KavachScopes.Emit} {KavachScopes.Admin} {KavachScopes.AlertsWrite}"
        : $"{KavachScopes.Read} {KavachScopes.AlertsWrite}")
    .WithEnvironment("Kavach__Auth__Clients__1__Id", ResponderClient)
    .WithEnvironment("Kavach__Auth__Clients__1__Secret", responderClientSecret)
    .WithEnvironment("Kavach__Auth__Clients__1__Scopes", KavachScopes.Revoke)
    .WithReplicas(redis is null ? 1 : 2)
    .WithHealthProbes();
if (builder.ExecutionContext.IsPublishMode)
{
    // The key that signs the event log's checkpoints (docs/integrity.md): an ECDSA P-256 PEM the operator makes and
    // keeps. Local runs leave it out: each replica then signs with a key of its own that dies with it.
    streamApi.WithEnvironment("Kavach__Integrity__CheckpointKey", builder.AddParameter("kavach-checkpoint-key", secret: true));
}
else
{
    // A local run may push webhooks to a receiver on this machine (README, docs/webhooks.md "Quick start"); deployed
    // replicas refuse loopback targets (SSRF).
    streamApi.WithEnvironment("Kavach__Delivery__AllowedPrivateTargets__0", "127.0.0.1/32");
}

// Every checkpoint is also written outside PostgreSQL (docs/integrity.md, "The witness"); in publish mode infra/ gives
// the API its Blob Storage.
if (witness is not null)
{
    streamApi.WithReference(witness, connectionName: "witness").WaitFor(witness);
}
else if (builder.ExecutionContext.IsRunMode)
{
    await Console.Error.WriteLineAsync(
        "warn: Azurite is not available (no tools/azurite and no azurite-blob on PATH, or no node). The checkpoint witness " +
        $"is an append-only file instead, {WitnessDataDirectory.File(witnessDirectory)}: 'npm ci --prefix tools/azurite' installs Azurite.");
    streamApi.WithEnvironment("Kavach__Integrity__Witness__Path", WitnessDataDirectory.File(witnessDirectory));
}

if (redis is null)
{
    await Console.Error.WriteLineAsync(
        "warn: Redis is not available (no container engine and no redis-server on PATH). Starting ONE stream API " +
        "replica with in-process fan-out; multi-replica fan-out needs Redis: 'apt-get install redis-server'.");
}
else
{
    streamApi.WithReference(redis).WaitFor(redis);
}

// People sign in with OpenID Connect: the development provider in run mode, Entra ID when deployed (ConsoleSignIn).
var console = builder.AddProject<Projects.Kavach_Dashboard>("console")
    .WithReference(streamApi).WaitFor(streamApi)
    .WithEnvironment("StreamApi__ClientId", ConsoleClient)
    .WithEnvironment("StreamApi__ClientSecret", consoleClientSecret)
    .WithEnvironment("StreamApi__ResponderClientId", ResponderClient)
    .WithEnvironment("StreamApi__ResponderClientSecret", responderClientSecret)
    .WithReplicas(1) // Blazor Server keeps each session's circuit and the live feed in this process
    .WithHealthProbes()
    .WithConsoleSignIn(builder);
if (builder.ExecutionContext.IsPublishMode && redis is not null)
{
    // Its Data Protection key ring, so sign-ins survive restarts and new revisions. Not in run mode: the local Redis
    // keeps nothing between runs, while the default key ring on disk does.
    console.WithReference(redis);
}

if (builder.ExecutionContext.IsRunMode)
{
    // The demo command is no person: it carries a key of its own, which the console takes on its demo endpoints only.
    var commandKey = builder.AddParameter("console-command-key",
        new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);
    console.WithEnvironment("Console__CommandKey", commandKey);
    console.WithHttpCommand("/api/demo/traffic", "Generate demo traffic", commandName: "demo-traffic",
        commandOptions: new HttpCommandOptions
        {
            Method = HttpMethod.Post,
            Description = "Emit a minute of realistic traffic of all 12 event types through the real emit API",
            IconName = "Play",
            // The console takes this POST only with its header (RequireConsoleHeader), which no page on another site can send.
            PrepareRequest = request =>
            {
                request.Request.Headers.Add("X-Kavach-Console", "1");
                return AddCommandKeyAsync(request.Request, commandKey, request.CancellationToken);
            },
        });
}

await builder.Build().RunAsync();

static async Task AddCommandKeyAsync(HttpRequestMessage request, IResourceBuilder<ParameterResource> key, CancellationToken cancellationToken) =>
    request.Headers.Add("X-Kavach-Command-Key", await key.Resource.GetValueAsync(cancellationToken));
