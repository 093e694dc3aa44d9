using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Auth;

/// <summary>The revocations this replica knows, as the token checks and open streams see them (<see cref="Revocations"/>).</summary>
public interface IRevocationList
{
    /// <summary>Raised for each revocation this replica learns of (streams end on it).</summary>
    event Action<Revocation>? Added;

    /// <summary>Raised when revocations are known again after a time they were not (paused streams go on).</summary>
    event Action? Known;

    /// <summary>Whether a known revocation covers the token, or Unknown when revocations are not current.</summary>
    RevocationStatus Check(Subscriber subscriber);

    /// <summary>Reads revocations now (or joins the read under way) for at most <paramref name="wait"/>; true when current.</summary>
    Task<bool> RefreshAsync(TimeSpan wait, CancellationToken cancellationToken);
}
