using System.Diagnostics;
using System.Security.Cryptography;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// The command-line verifier (<c>scripts/verify-chain.cs</c>) run as an auditor would: against a replica's API, with the
/// public key the auditor pinned, optionally from a checkpoint the auditor saved earlier.
/// </summary>
public static class VerifierCli
{
    public static async Task<(int Code, string Output)> RunAsync(Uri api, ECDsa pinnedKey, string? savedCheckpointJson = null, long from = 1)
    {
        var keyFile = Path.Combine(AttackSettings.WorkRoot, $"pinned-{Guid.NewGuid():N}.pem");
        var savedFile = Path.Combine(AttackSettings.WorkRoot, $"saved-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(keyFile, pinnedKey.ExportSubjectPublicKeyInfoPem());
        try
        {
            List<string> arguments = ["--api", api.ToString(), "--token", Forge.Reader($"auditor-{Guid.NewGuid():N}"), "--key", keyFile,
                "--from", from.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            if (savedCheckpointJson is not null)
            {
                await File.WriteAllTextAsync(savedFile, savedCheckpointJson);
                arguments.AddRange(["--trust", savedFile]);
            }

            return await RunAsync([.. arguments]);
        }
        finally
        {
            File.Delete(keyFile);
            File.Delete(savedFile);
        }
    }

    /// <summary>The verifier with exactly these arguments: its exit code and everything it printed.</summary>
    public static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot };
        foreach (var argument in (string[])["run", Script, "--", .. arguments])
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
            throw;
        }

        return (process.ExitCode, (await output + await errors).Trim());
    }

    /// <summary>This repository's verifier, or another build's named by <c>KAVACH_ATTACK_VERIFIER</c> (a "before" run).</summary>
    private static string Script =>
        Environment.GetEnvironmentVariable("KAVACH_ATTACK_VERIFIER") is { Length: > 0 } other ? other : Path.Combine(RepositoryRoot, "scripts", "verify-chain.cs");

    private static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kavach.Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found.");
    }
}
