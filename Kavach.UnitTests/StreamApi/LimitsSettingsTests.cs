using Kavach.StreamApi;
using Kavach.UnitTests.Support;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// <c>Kavach:Limits</c> and the safe-defaults rule for <c>RequireAuth</c>, checked at start on the API's real
/// registrations without starting it.
/// </summary>
[TestClass]
public sealed class LimitsSettingsTests
{
    private const string SigningKey = "a-signing-key-that-is-long-enough-for-hs256-0123";

    [TestMethod]
    [DataRow("Kavach:Limits:Emit:PerSubject", "-1", "Kavach:Limits:Emit:PerSubject")]
    [DataRow("Kavach:Limits:Tokens:PerAddress", "-5", "Kavach:Limits:Tokens:PerAddress")]
    [DataRow("Kavach:Limits:Verify:Window", "00:00:00.500", "Kavach:Limits:Verify:Window")]
    [DataRow("Kavach:Limits:Pages:Concurrent", "0", "Kavach:Limits:Pages:Concurrent")]
    [DataRow("Kavach:Limits:Replay:Queue", "-1", "Kavach:Limits:Replay:Queue")]
    [DataRow("Kavach:Limits:Pages:Concurrent", "4", "below Kavach:Database:HistoryPoolSize (6)")]
    [DataRow("Kavach:Limits:Verify:EventsPerSubject", "999999", "at least Kavach:Integrity:MaxVerifyRange (1000000)")]
    public void ABadLimitStopsStartupNamingTheKey(string key, string value, string named)
    {
        StringAssert.Contains(StartupFailure("Production", new() { [key] = value }), named);
    }

    [TestMethod]
    public void TheDefaultsAndZeroForNoRatePass()
    {
        StartupPasses("Production", []);
        StartupPasses("Production", new()
        {
            ["Kavach:Limits:Emit:PerSubject"] = "0",
            ["Kavach:Limits:Emit:PerAddress"] = "0",
            ["Kavach:Limits:Verify:EventsPerSubject"] = "0",
        });
    }

    [TestMethod]
    public void AuthOffOutsideDevelopmentStopsStartupNamingTheSettingAndTheOptIn()
    {
        var failure = StartupFailure("Production", new() { ["Kavach:Stream:RequireAuth"] = "false" });
        StringAssert.Contains(failure, "Kavach:Stream:RequireAuth=false is refused outside Development");
        StringAssert.Contains(failure, "Kavach:Stream:AllowAnyoneToReadAndEmit=true");
    }

    [TestMethod]
    public void AuthOffStartsInDevelopmentOrWhenTheRiskIsNamed()
    {
        StartupPasses("Development", new() { ["Kavach:Stream:RequireAuth"] = "false" });
        StartupPasses("Staging", new() { ["Kavach:Stream:RequireAuth"] = "false", ["Kavach:Stream:AllowAnyoneToReadAndEmit"] = "true" });
    }

    private static string StartupFailure(string environment, Dictionary<string, string?> overrides) =>
        StartupValidation.Failure(environment, Settings(overrides), builder => builder.AddStreamApiServices());

    private static void StartupPasses(string environment, Dictionary<string, string?> overrides) =>
        StartupValidation.Passes(environment, Settings(overrides), builder => builder.AddStreamApiServices());

    private static Dictionary<string, string?> Settings(Dictionary<string, string?> overrides)
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

        return settings;
    }
}
