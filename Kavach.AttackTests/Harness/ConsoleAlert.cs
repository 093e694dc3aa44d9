using System.Net;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Integrity;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// What the console makes of a <c>/verify</c> answer: the answer read as the console reads it, judged by the console's
/// own <see cref="ChainWatcher"/> — the alert it would raise, or none.
/// </summary>
public static class ConsoleAlert
{
    /// <summary>"alert: kind at #N" or "no alert".</summary>
    public static string Of(Answer verify)
    {
        if (verify.Status != HttpStatusCode.OK)
        {
            return $"no answer ({(int)verify.Status})";
        }

        var report = verify.Json.Deserialize<ChainReport>(KavachJson.Options)!;
        var state = ChainWatcher.Apply(ChainState.Unknown, report, DateTimeOffset.UtcNow);
        return state.Alert is { } alert ? $"alert: {alert.Break.Kind} at #{alert.Break.Sequence}" : "no alert";
    }

    public static bool Raised(Answer verify) => Of(verify).StartsWith("alert:", StringComparison.Ordinal);
}
