using System.Text;
using System.Text.Json;

namespace Kavach.StreamApi.Events;

/// <summary>
/// A page's <c>q</c>: text to find in an event's stored body (its id, type, timestamp, data, agentId and userId as
/// served), as a substring of one value: ASCII letters in any case, other letters as written (the body stores them as
/// <c>\uXXXX</c> escapes, which no case folding reaches). The body is JSON written by System.Text.Json's default
/// encoder, so the text is encoded the same way before it is compared (an <c>é</c> is stored as <c>\u00E9</c>, a quote
/// as <c>\u0022</c>); then every LIKE wildcard in it is escaped, so <c>%</c> and <c>_</c> match themselves. At least
/// <see cref="MinLength"/> characters: fewer make no trigram and would scan the whole table.
/// </summary>
public static class SearchText
{
    public const int MinLength = 3;
    public const int MaxLength = 200;

    /// <summary>The LIKE pattern for <paramref name="q"/>, or null with what is wrong in <paramref name="error"/>.</summary>
    public static string? ToPattern(string q, out string? error)
    {
        var trimmed = q.Trim();
        if (trimmed.Length is < MinLength or > MaxLength)
        {
            error = $"'q' must be {MinLength} to {MaxLength} characters (leading and trailing spaces aside).";
            return null;
        }

        if (IdText.Check(trimmed) is { } textError)
        {
            error = $"'q': {textError}";
            return null;
        }

        error = null;
        var encoded = JsonEncodedText.Encode(trimmed).ToString();
        var pattern = new StringBuilder(encoded.Length + 8).Append('%');
        foreach (var c in encoded)
        {
            if (c is '\\' or '%' or '_')
            {
                pattern.Append('\\');
            }

            pattern.Append(c);
        }

        return pattern.Append('%').ToString();
    }
}
