using System.Text.Json;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// The subjects a receiver removed from its stream. Streams start with every subject (<c>default_subjects</c> "ALL",
/// as the CAEP interoperability profile has receivers assume); an event is held back when a removed subject matches
/// its agent or its user. A simple subject matches when identical (SSF §8.1.3.1). A complex one matches when the members
/// it shares with the event's — <c>user</c> for the event's user, <c>agent</c> for its agent — are all identical, and
/// it shares at least one (a complex subject naming only members our events never carry, such as <c>tenant</c>, would
/// otherwise match every event).
/// </summary>
public sealed class SsfSubjectFilter
{
    public static readonly SsfSubjectFilter None = new([]);

    private readonly HashSet<string> _simple = new(StringComparer.Ordinal);
    private readonly List<(string? User, string? Agent)> _complex = [];

    public SsfSubjectFilter(IEnumerable<JsonElement> removed)
    {
        foreach (var subject in removed)
        {
            if (subject.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == "complex")
            {
                var user = subject.TryGetProperty("user", out var u) ? SsfSubjectId.Canonical(u) : null;
                var agent = subject.TryGetProperty("agent", out var a) ? SsfSubjectId.Canonical(a) : null;
                if (user is not null || agent is not null)
                {
                    _complex.Add((user, agent));
                }
            }
            else
            {
                _simple.Add(SsfSubjectId.Canonical(subject));
            }
        }
    }

    public bool IsEmpty => _simple.Count == 0 && _complex.Count == 0;

    /// <summary>Whether an event about these parties (their canonical identifiers, null when absent) is held back.</summary>
    public bool Excludes(string? agentKey, string? userKey)
    {
        if ((agentKey is not null && _simple.Contains(agentKey)) || (userKey is not null && _simple.Contains(userKey)))
        {
            return true;
        }

        foreach (var (user, agent) in _complex)
        {
            var shared = 0;
            if (user is not null && userKey is not null)
            {
                if (user != userKey)
                {
                    continue;
                }

                shared++;
            }

            if (agent is not null && agentKey is not null)
            {
                if (agent != agentKey)
                {
                    continue;
                }

                shared++;
            }

            if (shared > 0)
            {
                return true;
            }
        }

        return false;
    }
}
