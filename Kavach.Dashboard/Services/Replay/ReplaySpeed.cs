namespace Kavach.Dashboard.Services.Replay;

/// <summary>How fast a time-travel replay plays a past window: 1×, 10×, 60× its own time, or as fast as it can be read.</summary>
public sealed record ReplaySpeed(string Name, string Label, double Factor)
{
    public static readonly ReplaySpeed RealTime = new("1", "1×", 1);
    public static readonly ReplaySpeed Ten = new("10", "10×", 10);
    public static readonly ReplaySpeed Sixty = new("60", "60×", 60);
    public static readonly ReplaySpeed Max = new("max", "As fast as possible", double.PositiveInfinity);

    public static IReadOnlyList<ReplaySpeed> All { get; } = [RealTime, Ten, Sixty, Max];

    public bool IsUnpaced => double.IsPositiveInfinity(Factor);

    /// <summary>The speed named in a URL (<c>1</c>, <c>10</c>, <c>60</c>, <c>max</c>; <c>10x</c> too); 60× otherwise.</summary>
    public static ReplaySpeed Parse(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length > 1 && trimmed[^1] is 'x' or 'X' && char.IsAsciiDigit(trimmed[^2]))
        {
            trimmed = trimmed[..^1];
        }

        return All.FirstOrDefault(s => string.Equals(s.Name, trimmed, StringComparison.OrdinalIgnoreCase)) ?? Sixty;
    }
}
