using System.Globalization;

namespace Kavach.LoadGen;

/// <summary>
/// How the orchestrator and a long-running generator talk, through files in a directory of their own: the generator
/// writes <c>ready</c> once its connections are up, and the orchestrator writes <c>stop</c> (holding the last
/// sequence every subscriber must reach, or nothing) when the measured stretch is over.
/// </summary>
public sealed class Control(string? directory)
{
    public void Ready(string detail)
    {
        if (directory is null)
        {
            return;
        }

        var temporary = Path.Combine(directory, "ready.tmp");
        File.WriteAllText(temporary, detail);
        File.Move(temporary, Path.Combine(directory, "ready"), overwrite: true);
    }

    /// <summary>Null until the orchestrator asks to stop; then the last sequence to wait for, or -1 for none.</summary>
    public long? StopRequested()
    {
        if (directory is null)
        {
            return null;
        }

        var path = Path.Combine(directory, "stop");
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadAllText(path).Trim();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var until) ? until : -1;
    }
}
