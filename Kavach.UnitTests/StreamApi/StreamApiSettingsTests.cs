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
    [DataRow("Kavach:Auth:SigningKey", "short", "Kavach:Auth:SigningKey")]
    public void BadSettingStopsStartupNamingTheKey(string key, string value, string named)
    {
        var failure = StartupFailure(new Dictionary<string, string?> { [key] = value });
        StringAssert.Contains(failure, named);
    }

    [TestMethod]
    public void MissingSigningKeyWithAuthOnStopsStartup()
    {
        var failure = StartupFailure(new Dictionary<string, string?> { ["Kavach:Auth:SigningKey"] = null });
        StringAssert.Contains(failure, "Kavach:Auth:SigningKey");
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
