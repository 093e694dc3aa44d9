using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>The base of the client's typed errors.</summary>
public abstract class KavachException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// 401 or 403: the token is missing, invalid, expired beyond renewal, revoked, or lacks the scope. Retrying with the
/// same credentials cannot help, so a stream ends with this instead of reconnecting forever.
/// </summary>
public sealed class KavachAuthorizationException(int status, string? code, string? reason)
    : KavachException($"The stream API refused the token ({status}{(code is null ? "" : " " + code)}): {reason ?? "no reason given"}")
{
    /// <summary>401 or 403.</summary>
    public int Status { get; } = status;

    /// <summary>The SSE error code (<see cref="StreamErrorCodes"/>) when the answer carried one.</summary>
    public string? Code { get; } = code;
}

/// <summary>
/// 400, 404, 406, 413 or 415: the request itself is wrong (an unknown type filter, an invalid field, a batch too
/// large); nothing was stored and retrying it unchanged cannot help. <see cref="Problem"/> says what to fix.
/// </summary>
public sealed class KavachRequestException(int status, KavachProblem? problem)
    : KavachException($"The stream API refused the request ({status}): {problem?.Title}{(problem?.Detail is { } d ? " — " + d : "")}{Fields(problem)}")
{
    public int Status { get; } = status;

    public KavachProblem? Problem { get; } = problem;

    private static string Fields(KavachProblem? problem) => problem?.Errors is { Count: > 0 } errors
        ? " (" + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) + ")"
        : "";
}

/// <summary>
/// An emit that still had no answer after every attempt. <see cref="Ids"/> are the events' ids (the client sets
/// them): retry later with exactly those ids and each is stored once. <see cref="MayBeStored"/> false means the
/// server said nothing was stored.
/// </summary>
public sealed class KavachUnavailableException(string message, IReadOnlyList<string> ids, bool mayBeStored, Exception? inner = null)
    : KavachException(message, inner)
{
    public IReadOnlyList<string> Ids { get; } = ids;

    public bool MayBeStored { get; } = mayBeStored;
}
