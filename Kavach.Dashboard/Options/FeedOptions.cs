using System.ComponentModel.DataAnnotations;

namespace Kavach.Dashboard.Options;

/// <summary>How much of the live stream one console instance keeps in memory (section <c>Feed</c>).</summary>
public sealed class FeedOptions
{
    public const string Section = "Feed";

    /// <summary>Newest events kept; older ones fall off so memory stays bounded however long the console runs.</summary>
    [Range(100, 1_000_000)]
    public int Capacity { get; set; } = 50_000;

    /// <summary>This many <c>auth.failed</c> events within <see cref="AuthFailedBurstWindow"/> raise an alert.</summary>
    [Range(2, 10_000)]
    public int AuthFailedBurstThreshold { get; set; } = 5;

    public TimeSpan AuthFailedBurstWindow { get; set; } = TimeSpan.FromSeconds(60);
}
