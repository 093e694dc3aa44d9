using System.Globalization;

namespace Kavach.Processes;

/// <summary>
/// Where a child runs: on which CPUs (<c>taskset -c</c>) and at which niceness (<c>nice -n</c>). Both exec the
/// program, so its PID stays the one the harness holds.
/// </summary>
public sealed record ProcessPlacement(string? Cpus = null, int Nice = 0)
{
    public static readonly ProcessPlacement Anywhere = new();

    public (string FileName, IEnumerable<string> Arguments) Wrap(string fileName, IEnumerable<string> arguments)
    {
        var command = new List<string> { fileName };
        command.AddRange(arguments);
        if (Nice != 0)
        {
            command.InsertRange(0, ["nice", "-n", Nice.ToString(CultureInfo.InvariantCulture)]);
        }

        if (!string.IsNullOrEmpty(Cpus))
        {
            command.InsertRange(0, ["taskset", "-c", Cpus]);
        }

        return (command[0], command.Skip(1).ToList());
    }

    public override string ToString() =>
        (Cpus, Nice) switch
        {
            (null or "", 0) => "any CPU",
            (null or "", _) => $"nice {Nice}",
            (_, 0) => $"CPU {Cpus}",
            _ => $"CPU {Cpus}, nice {Nice}",
        };
}
