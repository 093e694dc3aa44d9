using Kavach.Dashboard.Options;

namespace Kavach.Dashboard.Access;

/// <summary>
/// Which sign-in the console runs with, and whether its settings are whole. An unset mode is None in Development and
/// an error elsewhere: a deployed console never opens without sign-in by accident, nor falls back to the shared key.
/// </summary>
public static class ConsoleAuthSelection
{
    public const int MinimumKeyLength = 16;

    /// <param name="legacyRequireSignIn"><c>Console:RequireSignIn</c>, the key before modes: true meant the access key.</param>
    public static ConsoleAuthMode? Resolve(ConsoleAuthMode? configured, bool? legacyRequireSignIn, bool isDevelopment) =>
        configured
        ?? legacyRequireSignIn switch
        {
            true => ConsoleAuthMode.AccessKey,
            false => ConsoleAuthMode.None,
            null => isDevelopment ? ConsoleAuthMode.None : null,
        };

    /// <summary>What is wrong with the settings for the mode, naming the keys to set; none when they are whole.</summary>
    public static IReadOnlyList<string> Problems(ConsoleAuthMode? mode, ConsoleAuthOptions auth, string? accessKey, bool isDevelopment)
    {
        const string Section = ConsoleAuthOptions.Section;
        switch (mode)
        {
            case null:
                return [$"{Section}:Mode must be set outside Development: Oidc (with {Section}:Authority, {Section}:ClientId and " +
                    $"{Section}:ClientSecret) or, as an explicit fallback, AccessKey (with Console:AccessKey)."];
            case ConsoleAuthMode.None when !isDevelopment:
                return [$"{Section}:Mode None (no sign-in) is for Development only."];
            case ConsoleAuthMode.AccessKey when (accessKey?.Length ?? 0) < MinimumKeyLength:
                return [$"Console:AccessKey must be set (at least {MinimumKeyLength} characters) when {Section}:Mode is AccessKey."];
            case ConsoleAuthMode.Oidc:
                var problems = new List<string>();
                if (!Uri.TryCreate(auth.Authority, UriKind.Absolute, out var authority))
                {
                    problems.Add($"{Section}:Authority must be the OpenID Connect provider's absolute URL.");
                }
                else if (authority.Scheme != Uri.UriSchemeHttps && !authority.IsLoopback)
                {
                    problems.Add($"{Section}:Authority must use https (plain http only on loopback, for the development provider).");
                }

                if (string.IsNullOrWhiteSpace(auth.ClientId))
                {
                    problems.Add($"{Section}:ClientId must be set.");
                }

                if (string.IsNullOrWhiteSpace(auth.ClientSecret))
                {
                    problems.Add($"{Section}:ClientSecret must be set.");
                }

                if (auth.RevalidateEvery < TimeSpan.FromSeconds(1) || auth.RevalidateEvery > TimeSpan.FromHours(1))
                {
                    problems.Add($"{Section}:RevalidateEvery must be between 00:00:01 and 01:00:00.");
                }

                return problems;
            default:
                return [];
        }
    }
}
