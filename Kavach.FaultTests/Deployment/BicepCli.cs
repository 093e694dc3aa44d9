using System.Diagnostics;

namespace Kavach.FaultTests.Deployment;

/// <summary>The Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64, restored by this project's PackageDownload).</summary>
internal static class BicepCli
{
    private const string BicepVersion = "0.49.2";

    public static async Task<(int ExitCode, string Output, string Diagnostics)> RunAsync(string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(BicepPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // No telemetry and no update checks: the machine has no internet, and the test must not need it.
        info.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, (await errors).Trim());
    }

    private static string BicepPath()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var bicep = Path.Combine(packages, "azure.bicep.commandline.linux-x64", BicepVersion, "tools", "bicep");
        if (!File.Exists(bicep))
        {
            throw new AssertFailedException($"The Bicep CLI is not at {bicep}: restore Kavach.FaultTests (its PackageDownload brings it).");
        }

        // NuGet extracts it without the execute bit on some machines.
        File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute);
        return bicep;
    }
}
