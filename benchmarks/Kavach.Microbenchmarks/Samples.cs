using System.Text.Json;
using Kavach.StreamApi.Events;

namespace Kavach.Microbenchmarks;

/// <summary>Events shaped like the benchmark suite's (and the console's demo traffic): small data, an agent id.</summary>
internal static class Samples
{
    /// <summary>A committed event as the store holds it: its body written once at emit.</summary>
    public static StoredEvent Event(long sequence, int padding = 48, string type = "audit", string? agentId = "agent-7", string? userId = null)
    {
        var id = Guid.CreateVersion7().ToString();
        var now = DateTimeOffset.UtcNow;
        var data = JsonDocument.Parse($$"""{"t":123456789012,"pad":"{{new string('x', padding)}}"}""").RootElement;
        return new StoredEvent(sequence, id, type, agentId, userId, now, now, StoredEvent.BodyOf(id, type, now, data, agentId, userId));
    }

    public static string Json(StoredEvent stored) => stored.Json();
}
