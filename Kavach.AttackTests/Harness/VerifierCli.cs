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
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "run", Path.Combine(RepositoryRoot, "scripts", "verify-chain.cs"), "--", "--api", api.ToString(),
                "--token", Forge.Reader($"auditor-{Guid.NewGuid():N}"), "--key", keyFile, "--from", from.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        if (savedCheckpointJson is not null)
        {
            await File.WriteAllTextAsync(savedFile, savedCheckpointJson);
            start.ArgumentList.Add("--trust");
            start.ArgumentList.Add(savedFile);
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
        finally
        {
            File.Delete(keyFile);
            File.Delete(savedFile);
        }

        return (process.ExitCode, await output + await errors);
    }

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
