namespace Kavach.Dashboard.Options;

/// <summary>
/// Sign-in attempts (section <c>Kavach:Limits:SignIn</c>, beside the stream API's limits): at most
/// <see cref="PerAddress"/> per <see cref="Window"/> from one client address.
/// </summary>
public sealed class SignInLimitOptions
{
    public const string Section = "Kavach:Limits:SignIn";

    /// <summary>Attempts (right or wrong) per window from one address; 0 for no limit.</summary>
    public int PerAddress { get; set; } = 10;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
