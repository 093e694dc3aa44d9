using Kavach.StreamApi;
using Kavach.UnitTests.Support;

namespace Kavach.UnitTests.StreamApi;

/// <summary>The stream API's start-up checks of its settings, run on its real registrations without starting it.</summary>
[TestClass]
public sealed class StreamApiSettingsTests
{
    private const string SigningKey = "a-signing-key-that-is-long-enough-for-hs256-0123";

    [TestMethod]
    [DataRow("Kavach:Stream:MaxConnections", "0", "MaxConnections")]
    [DataRow("Kavach:Stream:EventTypes:0", "agent.exploded", "Kavach:Stream:EventTypes")]
    [DataRow("Kavach:Stream:HeartbeatInterval", "00:00:00.010", "Kavach:Stream:HeartbeatInterval")]
    [DataRow("Kavach:Stream:HeartbeatInterval", "00:02:01", "at most half of Kavach:Stream:IngressIdleTimeout")]
    [DataRow("Kavach:Auth:SigningKey", "short", "Kavach:Auth:SigningKey")]
    [DataRow("Kavach:Auth:ClockSkew", "00:10:00", "Kavach:Auth:ClockSkew")]
    [DataRow("Kavach:Auth:Clients:0:Id", "ci", "Kavach:Auth:Clients:0")]
    [DataRow("Kavach:Database:LockTimeout", "00:00:00", "Kavach:Database:LockTimeout")]
    [DataRow("Kavach:Database:AppRole", "Kavach App; DROP", "Kavach:Database:AppRole")]
    [DataRow("Kavach:Database:AppRolePassword", "0123456789abcdef", "Kavach:Database:AppRolePassword")]
    [DataRow("Kavach:Integrity:CheckpointKey", "not a key", "Kavach:Integrity:CheckpointKey")]
    [DataRow("Kavach:Integrity:PinnedKeys:0", "not a key", "Kavach:Integrity:PinnedKeys:0")]
    public void BadSettingStopsStartupNamingTheKey(string key, string value, string named)
    {
        var failure = StartupFailure(new Dictionary<string, string?> { [key] = value });
        StringAssert.Contains(failure, named);
    }

    [TestMethod]
    public void AShorterIngressIdleTimeoutTightensTheHeartbeatLimit()
    {
        var failure = StartupFailure(new Dictionary<string, string?>
        {
            ["Kavach:Stream:IngressIdleTimeout"] = "00:00:40",
            ["Kavach:Stream:HeartbeatInterval"] = "00:00:30",
        });
        StringAssert.Contains(failure, "at most 00:00:20");
    }

    [TestMethod]
    public void MissingSigningKeyWithAuthOnStopsStartup()
    {
        var failure = StartupFailure(new Dictionary<string, string?> { ["Kavach:Auth:SigningKey"] = null });
        StringAssert.Contains(failure, "Kavach:Auth:SigningKey");
    }

    [TestMethod]
    public void AnAuthorityWithoutAnAudienceStopsStartup()
    {
        // Without an audience, every token the identity provider issues for any other application would pass.
        var failure = StartupFailure(new Dictionary<string, string?>
        {
            ["Kavach:Auth:SigningKey"] = null,
            ["Kavach:Auth:Authority"] = "https://login.example.com/tenant/v2.0",
        });
        StringAssert.Contains(failure, "Kavach:Auth:Audience");
    }

    [TestMethod]
    public void ServiceClientsNeedTheSigningKey()
    {
        var failure = StartupFailure(new Dictionary<string, string?>
        {
            ["Kavach:Auth:SigningKey"] = null,
            ["Kavach:Auth:Authority"] = "https://login.example.com/tenant/v2.0",
            ["Kavach:Auth:Audience"] = "api://kavach",
            ["Kavach:Auth:Clients:0:Id"] = "ci",
            ["Kavach:Auth:Clients:0:Secret"] = "a-secret-that-is-long-enough-0123",
        });
        StringAssert.Contains(failure, "Kavach:Auth:Clients needs Kavach:Auth:SigningKey");
    }

    private static string StartupFailure(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = "Host=127.0.0.1;Database=kavachdb",
            ["Kavach:Auth:SigningKey"] = SigningKey,
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return StartupValidation.Failure("Production", settings, builder => builder.AddStreamApiServices());
    }
}
