using System.Globalization;

namespace Kavach.Contracts;

/// <summary>
/// A place in the stream: a sequence within an epoch. The SSE <c>id:</c> and every cursor carry it. In the first
/// epoch it is written as the bare sequence (<c>1221</c>), exactly what clients have always seen; a later epoch,
/// begun when the database's sequence went backwards, is written <c>2:1221</c>. Clients treat it as opaque.
/// </summary>
public readonly record struct StreamPosition(long Epoch, long Sequence)
{
    public const long FirstEpoch = 1;

    public override string ToString() => Epoch == FirstEpoch
        ? Sequence.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Epoch}:{Sequence}");

    /// <summary>Parses <c>N</c> (first epoch) or <c>E:N</c>; both numbers non-negative, the epoch at least 1.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out StreamPosition position)
    {
        position = default;
        text = text.Trim();
        var colon = text.IndexOf(':');
        var epoch = FirstEpoch;
        if (colon >= 0 && (!TryParseNumber(text[..colon], out epoch) || epoch < FirstEpoch))
        {
            return false;
        }

        if (!TryParseNumber(colon >= 0 ? text[(colon + 1)..] : text, out var sequence))
        {
            return false;
        }

        position = new StreamPosition(epoch, sequence);
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
