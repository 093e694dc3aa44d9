using System.ComponentModel.DataAnnotations;

namespace Kavach.Dashboard.Options;

/// <summary>How much of the live stream one console instance keeps in memory (section <c>Feed</c>).</summary>
public sealed class FeedOptions
{
    public const string Section = "Feed";

    /// <summary>Newest events kept; older ones fall off so memory stays bounded however long the console runs.</summary>
    [Range(100, 1_000_000)]
    public int Capacity { get; set; } = 50_000;
}
