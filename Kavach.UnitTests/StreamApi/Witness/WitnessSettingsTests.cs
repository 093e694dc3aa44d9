using Kavach.StreamApi;
using Kavach.UnitTests.Support;

namespace Kavach.UnitTests.StreamApi.Witness;

/// <summary>The witness's settings, checked when the API starts.</summary>
[TestClass]
public sealed class WitnessSettingsTests
{
    private const string Azurite = "DefaultEndpointsProtocol=http;AccountName=kavach;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/kavach;";

    [TestMethod]
    [DataRow("Kavach:Integrity:Witness:Kind", "blob", "Kavach:Integrity:Witness:Kind=blob needs exactly one of ConnectionStrings:witness")]
    [DataRow("Kavach:Integrity:Witness:Kind", "file", "Kavach:Integrity:Witness:Path")]
    [DataRow("Kavach:Integrity:Witness:ServiceUri", "http://storage.example.com/", "Kavach:Integrity:Witness:ServiceUri must be an absolute https://")]
    [DataRow("Kavach:Integrity:Witness:Path", "relative/witness.jsonl", "an absolute path")]
    [DataRow("Kavach:Integrity:Witness:GracePeriod", "00:00:00", "Kavach:Integrity:Witness:GracePeriod")]
    [DataRow("Kavach:Integrity:Witness:Timeout", "00:10:00", "Kavach:Integrity:Witness:Timeout")]
    [DataRow("Kavach:Integrity:Witness:ManagedIdentityClientId", "5e0b1a6c-0000-4000-8000-000000000001", "is used only with Kavach:Integrity:Witness:ServiceUri")]
    public void BadWitnessSettingStopsStartupNamingTheKey(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.EndsWith("ManagedIdentityClientId", StringComparison.Ordinal))
        {
            settings["ConnectionStrings:witness"] = Azurite;
        }

        StringAssert.Contains(Failure(settings), named);
    }

    [TestMethod]
    [DataRow("Kavach_Witness")]
    [DataRow("ab")]
    [DataRow("kavach--witness")]
    public void AContainerNameAzureWouldRefuseStopsStartup(string container)
    {
        var failure = Failure(new Dictionary<string, string?> { ["ConnectionStrings:witness"] = Azurite, ["Kavach:Integrity:Witness:Container"] = container });

        StringAssert.Contains(failure, "Kavach:Integrity:Witness:Container");
    }

    [TestMethod]
    public void AFileAndABlobWitnessAtOnceMustBeChosenBetween()
    {
        var failure = Failure(new Dictionary<string, string?> { ["ConnectionStrings:witness"] = Azurite, ["Kavach:Integrity:Witness:Path"] = "/var/lib/kavach/witness.jsonl" });

        StringAssert.Contains(failure, "Kavach:Integrity:Witness:Kind");
    }

    [TestMethod]
    [DataRow("ConnectionStrings:witness", Azurite)]
    [DataRow("Kavach:Integrity:Witness:ServiceUri", "https://kavachwitness.blob.core.windows.net/")]
    [DataRow("Kavach:Integrity:Witness:ServiceUri", "http://127.0.0.1:10000/kavach?sv=2026-10-06&sig=abc")]
    [DataRow("Kavach:Integrity:Witness:Path", "/var/lib/kavach/witness.jsonl")]
    [DataRow("Kavach:Integrity:Witness:Kind", "none")]
    public void AWitnessCanBeGivenEachWay(string key, string value) =>
        StartupValidation.Passes("Production", Settings(new Dictionary<string, string?> { [key] = value }), builder => builder.AddStreamApiServices());

    private static string Failure(Dictionary<string, string?> overrides) =>
        StartupValidation.Failure("Production", Settings(overrides), builder => builder.AddStreamApiServices());

    private static Dictionary<string, string?> Settings(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = "Host=127.0.0.1;Database=kavachdb",
            ["Kavach:Auth:SigningKey"] = "a-signing-key-that-is-long-enough-for-hs256-0123",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }
}
