using System.Diagnostics;

namespace Kavach.AttackTests.Harness;

/// <summary><c>dotnet run scripts/verify-chain.cs</c>, the auditor's verifier, as a process: its exit code and what it printed.</summary>
public static class VerifierCli
{
    public static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Kavach.Aspire.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root was not found.");
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var argument in (string[])["run", Path.Combine(root, "scripts", "verify-chain.cs"), "--", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, (await output + await errors).Trim());
    }
}
