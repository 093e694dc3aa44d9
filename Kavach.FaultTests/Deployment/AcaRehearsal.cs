using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.Processes;
using Kavach.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// The deployment of infra/ rehearsed on this machine: PostgreSQL and Redis, two stream API replicas and the console
/// as real processes (the suite's build of them, Production environment, the Bicep's settings), behind an ACA-like
/// ingress with TLS, X-Forwarded-* headers, round-robin, cookie affinity for the console and a shortened idle timeout.
/// A third ingress app reaches an upstream that sends nothing, to show the idle timeout really cuts.
/// </summary>
public sealed class AcaRehearsal : IAsyncDisposable
{
    /// <summary>
    /// Shortened from ACA's 240 s; the heartbeat is shortened with it, keeping well under half. KAVACH_REHEARSAL_IDLE_TIMEOUT
    /// and KAVACH_REHEARSAL_HEARTBEAT (seconds) set them, e.g. to ACA's own 240 and infra/'s 30 for a long run by hand.
    /// </summary>
    public static readonly TimeSpan IdleTimeout = Seconds("KAVACH_REHEARSAL_IDLE_TIMEOUT", 6);
    public static readonly TimeSpan HeartbeatInterval = Seconds("KAVACH_REHEARSAL_HEARTBEAT", 2);

    /// <summary>How long the quiet stream gets no event: 2.5 idle timeouts unless KAVACH_REHEARSAL_QUIET (seconds) says.</summary>
    public static readonly TimeSpan QuietPeriod = Seconds("KAVACH_REHEARSAL_QUIET", IdleTimeout.TotalSeconds * 2.5);

    private static TimeSpan Seconds(string variable, double fallback) =>
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable(variable), System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback);

    private readonly string _workDirectory;

    private AcaRehearsal(string workDirectory, PostgresServer postgres, RedisServer redis, AzuriteServer witness, IReadOnlyList<ApiReplica> replicas,
        ApiReplica console, AcaIngress ingress, WebApplication silentUpstream, X509Certificate2 certificate, string signingKey, string accessKey)
    {
        _workDirectory = workDirectory;
        Postgres = postgres;
        Redis = redis;
        Witness = witness;
        Replicas = replicas;
        Console = console;
        Ingress = ingress;
        SilentUpstream = silentUpstream;
        Certificate = certificate;
        AccessKey = accessKey;
        EmitToken = KavachTokens.Issue(signingKey, "rehearsal-emitter", [KavachScopes.Emit], TimeSpan.FromHours(1));
        SigningKey = signingKey;
    }

    public PostgresServer Postgres { get; }

    public RedisServer Redis { get; }

    /// <summary>Blob Storage of the witness, as Azurite: the API reaches it by a service URI, as on Azure.</summary>
    public AzuriteServer Witness { get; }

    public IReadOnlyList<ApiReplica> Replicas { get; }

    public ApiReplica Console { get; }

    public AcaIngress Ingress { get; }

    public WebApplication SilentUpstream { get; }

    public X509Certificate2 Certificate { get; }

    public string AccessKey { get; }

    public string EmitToken { get; }

    private string SigningKey { get; }

    public Uri StreamApi => Ingress.AddressOf("streamapi");

    public Uri ConsoleAddress => Ingress.AddressOf("console");

    public string ReadTokenFor(string subject) => KavachTokens.Issue(SigningKey, subject, [KavachScopes.Read], TimeSpan.FromHours(1));

    /// <summary>A client of the ingress, as from the internet: trusts the ingress's certificate, keeps cookies if given a jar.</summary>
    public HttpClient Client(Uri address, CookieContainer? cookies = null) =>
        new(SelfSignedCertificate.TrustingOnly(Certificate, cookies)) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<AcaRehearsal> StartAsync(string name)
    {
        var workDirectory = Path.Combine(SuiteSettings.WorkRoot, name);
        var logDirectory = Path.Combine(SuiteSettings.LogRoot, name);
        Directory.CreateDirectory(workDirectory);
        Directory.CreateDirectory(logDirectory);

        var postgres = await PostgresServer.CreateAsync(workDirectory, logDirectory);
        var redis = await RedisServer.CreateAsync(workDirectory, logDirectory);
        var witness = await AzuriteServer.CreateAsync(workDirectory, logDirectory);
        var certificate = SelfSignedCertificate.Create();
        var certificateFile = SelfSignedCertificate.WritePem(certificate, Path.Combine(workDirectory, "ingress.pem"));
        var signingKey = "rehearsal-signing-key-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var consoleClientSecret = "rehearsal-console-client-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var accessKey = "rehearsal-access-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var streamApiPort = FreePort.Next();
        var streamApi = new Uri($"https://127.0.0.1:{streamApiPort}");

        var apiSettings = WithLogging(AcaSettings.StreamApi(postgres.AppConnectionStringFor(PostgresServer.Database), redis.ConnectionString, signingKey,
            consoleClientSecret, HeartbeatInterval, IdleTimeout, WitnessServiceUri(witness)));
        var replicas = Enumerable.Range(0, 2).Select(i => new ApiReplica(i, SuiteSettings.StreamApiAssembly, apiSettings, logDirectory, "streamapi")).ToList();

        // The console reaches the API through the ingress, as on ACA (https://streamapi.<environment domain>), and trusts
        // the ingress's certificate as a machine trusts its CAs.
        var consoleSettings = WithLogging(AcaSettings.Console(redis.ConnectionString, streamApi, consoleClientSecret, accessKey));
        consoleSettings["SSL_CERT_FILE"] = certificateFile;
        // Its home directory stands for the container's file system (where Data Protection would keep keys by default);
        // ReplaceConsoleFileSystem wipes it, as a new revision or a restarted container starts from a clean image.
        consoleSettings["HOME"] = Path.Combine(workDirectory, "console-home");
        var console = new ApiReplica(0, SuiteSettings.ConsoleAssembly, consoleSettings, logDirectory, "console");

        var silent = await StartSilentUpstreamAsync();
        AcaIngress? ingress = null;
        try
        {
            // The API's init container, then its replicas as the service's role.
            await MigrateStep.RunAsync(SuiteSettings.StreamApiAssembly,
                AcaSettings.Migrate(postgres.ConnectionString, PostgresServer.AppRole, postgres.AppPassword), Path.Combine(logDirectory, "migrate.log"));
            await Task.WhenAll(replicas.Select(r => r.StartAsync()));
            ingress = await AcaIngress.StartAsync(certificate,
            [
                new IngressApp("streamapi", [.. replicas.Select(r => r.BaseAddress)], Port: streamApiPort),
                new IngressApp("console", [console.BaseAddress], StickySessions: true),
                new IngressApp("silent", [new Uri(silent.Urls.Single())]),
            ], IdleTimeout);
            await console.StartAsync();
            return new AcaRehearsal(workDirectory, postgres, redis, witness, replicas, console, ingress, silent, certificate, signingKey, accessKey);
        }
        catch
        {
            await console.StopAsync();
            await Task.WhenAll(replicas.Select(r => r.StopAsync()));
            if (ingress is not null)
            {
                await ingress.DisposeAsync();
            }

            await silent.DisposeAsync();
            await witness.DisposeAsync();
            await redis.DisposeAsync();
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>Azurite's Blob service with an account SAS: a service URI, as the Bicep gives the API, that works without an identity.</summary>
    private static Uri WitnessServiceUri(AzuriteServer witness)
    {
        var credential = new Azure.Storage.StorageSharedKeyCredential(AzuriteServer.AccountName, witness.AccountKey);
        var sas = new Azure.Storage.Sas.AccountSasBuilder(Azure.Storage.Sas.AccountSasPermissions.All, DateTimeOffset.UtcNow.AddDays(1),
            Azure.Storage.Sas.AccountSasServices.Blobs, Azure.Storage.Sas.AccountSasResourceTypes.All) { Protocol = Azure.Storage.Sas.SasProtocol.HttpsAndHttp };
        return new UriBuilder($"http://127.0.0.1:{witness.Port}/{AzuriteServer.AccountName}") { Query = sas.ToSasQueryParameters(credential).ToString() }.Uri;
    }

    /// <summary>Between two console starts: what a new container does not have of the old one's file system.</summary>
    public void ReplaceConsoleFileSystem()
    {
        var home = Path.Combine(_workDirectory, "console-home");
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>Emits one event through the ingress until it is acknowledged (same id on every retry); its sequence.</summary>
    public async Task<long> EmitAsync(HttpClient client, string id, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = id,
            ["type"] = KavachEventTypes.All[Math.Abs(id.GetHashCode(StringComparison.Ordinal)) % KavachEventTypes.All.Count],
            ["agentId"] = "rehearsal-agent",
            ["data"] = new Dictionary<string, object> { ["id"] = id },
        });
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/kavach/events")
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", EmitToken);
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                    return answer.RootElement.GetProperty("events")[0].GetProperty("sequence").GetInt64();
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Console.StopAsync();
        await Task.WhenAll(Replicas.Select(r => r.StopAsync()));
        await Ingress.DisposeAsync();
        await SilentUpstream.DisposeAsync();
        await Witness.DisposeAsync();
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
        Certificate.Dispose();
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Dictionary<string, string> WithLogging(Dictionary<string, string> settings)
    {
        settings["Logging__LogLevel__Default"] = "Information";
        settings["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        settings["Logging__Console__FormatterName"] = "simple";
        settings["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        return settings;
    }

    /// <summary>An upstream that answers 200 and then sends nothing: what the ingress's idle timeout is for.</summary>
    private static async Task<WebApplication> StartSilentUpstreamAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{FreePort.Next()}");
        var app = builder.Build();
        app.MapGet("/health", () => "Healthy");
        app.MapGet("/silent", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(": open\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        await app.StartAsync();
        return app;
    }
}
