using System.Diagnostics;

namespace Kavach.AttackTests.Harness;

/// <summary><c>scripts/verify-chain.cs</c>, the verifier an auditor runs outside the server, as a process.</summary>
public static class ChainCommandLine
{
    public static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Kavach.Aspire.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root was not found.");
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var argument in new[] { "run", Path.Combine(root, "scripts", "verify-chain.cs"), "--" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("scripts/verify-chain.cs did not finish within 3 minutes.");
        }

        return (process.ExitCode, (await output + await errors).Trim());
    }
}
