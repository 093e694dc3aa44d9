using System.Text.Json;
using Kavach.StreamApi.Events;

namespace Kavach.Microbenchmarks;

/// <summary>Events shaped like the benchmark suite's (and the console's demo traffic): small data, an agent id.</summary>
internal static class Samples
{
    public static StreamEvent Event(long sequence, int padding = 48) => new(
        Guid.CreateVersion7().ToString(),
        "audit",
        DateTimeOffset.UtcNow,
        JsonDocument.Parse($$"""{"t":123456789012,"pad":"{{new string('x', padding)}}"}""").RootElement.Clone(),
        "agent-7",
        null,
        sequence);

    public static string Json(StreamEvent @event) => JsonSerializer.Serialize(@event, JsonSerializerOptions.Web);
}
