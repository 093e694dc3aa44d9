namespace Kavach.Contracts;

/// <summary>The <c>code</c> of the stream's <c>error</c> frames (docs/api.md, "Errors after the stream started").</summary>
public static class StreamErrorCodes
{
    /// <summary>401 at connect: no token, or one that does not validate.</summary>
    public const string Unauthorized = "UNAUTHORIZED";

    /// <summary>403 at connect: the token lacks <c>events:read</c> or asks for more than it grants.</summary>
    public const string Forbidden = "FORBIDDEN";

    /// <summary>The token reached its <c>exp</c>: resume with a fresh token and Last-Event-ID.</summary>
    public const string TokenExpired = "TOKEN_EXPIRED";

    /// <summary>The token was revoked: do not come back with it.</summary>
    public const string TokenRevoked = "TOKEN_REVOKED";

    /// <summary>The stream fell too far behind: resume with Last-Event-ID.</summary>
    public const string SlowConsumer = "SLOW_CONSUMER";

    /// <summary>Reading history failed: resume with Last-Event-ID.</summary>
    public const string StoreUnavailable = "STORE_UNAVAILABLE";
}
