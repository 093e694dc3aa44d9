using Kavach.Contracts;
using System.Text.Json;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Feed;

namespace Kavach.UnitTests.Dashboard;

internal static class TestEvents
{
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    public static KavachEvent Make(long sequence, string type = EventTypes.Audit, string? agentId = "agent-1", string? userId = "user-1",
        object? data = null, DateTimeOffset? timestamp = null) =>
        new($"evt-{sequence}", type, timestamp ?? Start.AddSeconds(sequence), JsonSerializer.SerializeToElement(data ?? new { action = "read" }),
            agentId, userId, sequence);

    public static EventFeed Feed(int capacity = 1000, TimeProvider? time = null, PendingRaises? raises = null) =>
        new(Microsoft.Extensions.Options.Options.Create(new FeedOptions { Capacity = capacity }), time ?? new FixedTime(Start.AddMinutes(5)), raises);
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
