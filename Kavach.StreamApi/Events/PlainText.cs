using System.Globalization;

namespace Kavach.StreamApi.Events;

/// <summary>
/// Text a person's action is recorded with (a revocation's reason, the person it was made for): what <see cref="IdText"/>
/// accepts, and one visible line — no format characters (bidirectional overrides, zero-width marks) and no line or
/// paragraph separators, which would let it pass for other text in a log, a terminal or the console.
/// </summary>
public static class PlainText
{
    /// <summary>Null when the value is acceptable, otherwise what is wrong.</summary>
    public static string? Check(string value)
    {
        if (IdText.Check(value) is { } error)
        {
            return error;
        }

        return value.Any(c => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator)
            ? "Must be one line of visible text: no format characters (such as direction overrides) or line separators."
            : null;
    }
}
