namespace Kavach.StreamApi.Persistence;

/// <summary>How far retention may remove: the last sequence of the prefix it may delete for a cutoff (0: nothing).</summary>
public interface IRetentionBoundary
{
    Task<long> UpToAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}
