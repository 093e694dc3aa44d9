namespace Kavach.Dashboard.Access;

/// <summary>A session check's outcome: ended (why), or goes on with the provider's newest tokens.</summary>
public sealed record SessionCheck(bool HasEnded, string? Reason, string? RefreshToken, string? IdToken)
{
    public static SessionCheck Ended(string reason) => new(true, reason, null, null);

    public static SessionCheck Continues(string refreshToken, string? idToken) => new(false, null, refreshToken, idToken);

    public static bool RolesMatch(IReadOnlyCollection<string> before, IReadOnlyCollection<string> now) =>
        before.Order(StringComparer.Ordinal).SequenceEqual(now.Order(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Whether a session last checked at <paramref name="lastChecked"/> is due for a check.</summary>
    public static bool IsDue(DateTimeOffset? lastChecked, DateTimeOffset now, TimeSpan every) =>
        lastChecked is not { } last || now - last >= every || last > now + TimeSpan.FromMinutes(5);
}
