namespace Kavach.StreamApi.Ssf;

/// <summary>
/// A receiver's error for a SET, as a poll's <c>setErrs</c> carry it (RFC 8936 §2.4.4, the same as RFC 8935 §2.3: <c>{"err": code, "description": text}</c>, codes such as
/// <c>invalid_request</c>, <c>invalid_key</c>, <c>authentication_failed</c>, <c>access_denied</c>, SSF's
/// <c>invalid_state</c>) as one short line for the stream's last error: bounded, without control characters.
/// </summary>
public static class SetErrors
{
    public const int MaxLength = 300;

    public static string Describe(SsfSetError error)
    {
        var text = error.Description is { Length: > 0 } description ? $"{error.Err}: {description}" : error.Err;
        var clean = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return clean.Length > MaxLength ? clean[..MaxLength] : clean;
    }
}
