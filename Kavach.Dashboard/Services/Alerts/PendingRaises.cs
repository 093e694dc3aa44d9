using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// What the rules found and the API has not yet taken. The feed hands every new event to <see cref="Observe"/>; each
/// finding waits here until <see cref="AlertRaiser"/> gets the API's answer. A raise that fails stays, due again after
/// a delay that doubles up to <see cref="AlertRulesOptions.RaiseRetryMaxDelay"/>: an unreachable API delays alerts, it
/// never loses them. Only a raise the API refuses for what it says (400, 404, 409, 422) leaves, counted as rejected;
/// and past <see cref="MaxPending"/> the oldest leave, counted as dropped — both shown on the banner, never silent.
/// </summary>
public sealed class PendingRaises(IOptions<AlertRulesOptions> options, TimeProvider time)
{
    public const int MaxPending = 10_000;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly AlertRules _rules = new(options.Value);
    private readonly LinkedList<PendingRaise> _pending = new();
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PendingRaisesStatus _status = PendingRaisesStatus.Idle;

    public PendingRaisesStatus Status
    {
        get { lock (_gate) { return _status; } }
    }

    /// <summary>Raised after the status changed (outside the lock).</summary>
    public event Action? Changed;

    /// <summary>Runs the rules over a new event (in stream order, once) and keeps what they found.</summary>
    public void Observe(KavachEvent e)
    {
        lock (_gate)
        {
            var found = _rules.Observe(e);
            if (found.Count == 0)
            {
                return;
            }

            var now = time.GetUtcNow();
            foreach (var candidate in found)
            {
                _pending.AddLast(new PendingRaise(candidate, now));
            }

            while (_pending.Count > MaxPending)
            {
                _pending.RemoveFirst();
                _status = _status with { Dropped = _status.Dropped + 1 };
            }

            UpdateStatusLocked();
            _added.TrySetResult();
        }

        Changed?.Invoke();
    }

    /// <summary>The raises due now, oldest first, and when the next one after them is due.</summary>
    public (IReadOnlyList<PendingRaise> Due, DateTimeOffset? NextDueAt) Due()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var due = _pending.Where(p => p.DueAt <= now).ToList();
            var next = _pending.Where(p => p.DueAt > now).Select(p => (DateTimeOffset?)p.DueAt).Min();
            return (due, next);
        }
    }

    /// <summary>Completes when a raise is added after this call.</summary>
    public Task AddedAsync()
    {
        lock (_gate)
        {
            if (_added.Task.IsCompleted)
            {
                _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return _added.Task;
        }
    }

    public void Accepted(PendingRaise raise) => Remove(raise, s => s with { Raised = s.Raised + 1, LastError = null });

    public void Rejected(PendingRaise raise, string error) => Remove(raise, s => s with { Rejected = s.Rejected + 1, LastError = error });

    public void Failed(PendingRaise raise, string error)
    {
        lock (_gate)
        {
            raise.Attempts++;
            var delay = TimeSpan.FromTicks(Math.Min(
                FirstRetryDelay.Ticks * (1L << Math.Min(raise.Attempts - 1, 20)), options.Value.RaiseRetryMaxDelay.Ticks));
            raise.DueAt = time.GetUtcNow() + delay;
            _status = _status with { LastError = error, LastErrorAt = time.GetUtcNow() };
            UpdateStatusLocked();
        }

        Changed?.Invoke();
    }

    private void Remove(PendingRaise raise, Func<PendingRaisesStatus, PendingRaisesStatus> change)
    {
        lock (_gate)
        {
            _pending.Remove(raise);
            _status = change(_status);
            UpdateStatusLocked();
        }

        Changed?.Invoke();
    }

    private void UpdateStatusLocked() => _status = _status with
    {
        Pending = _pending.Count,
        Retrying = _pending.Count(p => p.Attempts > 0),
        OldestPendingSince = _pending.First?.Value.FoundAt,
    };
}

/// <summary>One finding on its way to the API.</summary>
public sealed class PendingRaise(AlertCandidate candidate, DateTimeOffset foundAt)
{
    public AlertCandidate Candidate { get; } = candidate;

    public DateTimeOffset FoundAt { get; } = foundAt;

    public DateTimeOffset DueAt { get; set; } = foundAt;

    public int Attempts { get; set; }
}

/// <summary>How raising goes: waiting and retrying raises, and what left without an alert (rejected, dropped).</summary>
public sealed record PendingRaisesStatus(
    int Pending, int Retrying, DateTimeOffset? OldestPendingSince, long Raised, long Rejected, long Dropped, string? LastError, DateTimeOffset? LastErrorAt)
{
    public static readonly PendingRaisesStatus Idle = new(0, 0, null, 0, 0, 0, null, null);

    /// <summary>Alerts are late (the API does not take raises) or some were dropped on the way: the banner says so.</summary>
    public bool IsDegraded => Retrying > 0 || Dropped > 0;
}
