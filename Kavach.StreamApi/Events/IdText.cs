namespace Kavach.StreamApi.Events;

/// <summary>
/// The rule for an event's <c>id</c>, <c>agentId</c> and <c>userId</c>, and for every place such a value comes in
/// (a page's filter, a token's claims, a revocation, a development token's subject): 1 to <see cref="MaxLength"/> UTF-16
/// characters, no control character (NUL, CR, LF, C1 controls…), no unpaired surrogate — what PostgreSQL stores and
/// every read path writes back unchanged.
/// </summary>
public static class IdText
{
    public const int MaxLength = 200;

    /// <summary>Null when the value is acceptable, otherwise what is wrong.</summary>
    public static string? Check(string value)
    {
        if (value.Length is 0 or > MaxLength)
        {
            return $"Must be 1 to {MaxLength} characters.";
        }

        if (value.Any(char.IsControl))
        {
            return "Must not contain control characters.";
        }

        return IsWellFormedUtf16(value) ? null : "Must be valid Unicode: it holds an unpaired UTF-16 surrogate.";
    }

    private static bool IsWellFormedUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
