using System.Globalization;

namespace Kavach.LoadGen;

/// <summary><c>--name value</c> pairs; a name with no value is a flag.</summary>
public sealed class Arguments(Dictionary<string, string> values)
{
    public static Arguments Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg[2..];
                values[name] = "true";
            }
            else if (name is not null)
            {
                values[name] = arg;
                name = null;
            }
        }

        return new Arguments(values);
    }

    public string Text(string name) =>
        values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");

    public string? OptionalText(string name) => values.GetValueOrDefault(name);

    public long Number(string name, long? fallback = null) =>
        values.TryGetValue(name, out var value) ? long.Parse(value, CultureInfo.InvariantCulture)
        : fallback ?? throw new ArgumentException($"--{name} is required.");

    public double Real(string name, double? fallback = null) =>
        values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture)
        : fallback ?? throw new ArgumentException($"--{name} is required.");

    public bool Flag(string name) => values.TryGetValue(name, out var value) && value != "false";

    /// <summary>A comma-separated list of URLs (connections are spread over them round-robin).</summary>
    public IReadOnlyList<Uri> Urls(string name = "url") =>
        [.. Text(name).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u))];
}
