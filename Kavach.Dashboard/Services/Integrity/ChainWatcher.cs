using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Integrity;

/// <summary>
/// Asks the API to verify the hash chain: what was committed since the last check, and every few checks the whole
/// stored range again. A break raises an alert that stays until someone acknowledges it (a later check that passes
/// does not take it down: the evidence was there).
/// </summary>
public sealed class ChainWatcher(IServiceScopeFactory scopes, IOptions<StreamApiOptions> options, TimeProvider time,
    ILogger<ChainWatcher> logger) : BackgroundService
{
    private readonly Lock _lock = new();
    private ChainState _state = ChainState.Unknown;

    public ChainState State
    {
        get { lock (_lock) { return _state; } }
    }

    public event Action? Changed;

    public void AcknowledgeBreak()
    {
        Update(s => s with { Alert = s.Alert is null ? null : s.Alert with { Acknowledged = true } });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ChainCheckInterval, time);
        var round = 0;
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                var api = scope.ServiceProvider.GetRequiredService<StreamApiClient>();
                var full = round++ % options.Value.FullChainCheckEvery == 0 || State.VerifiedThrough is null;
                var report = await api.VerifyChainAsync(full ? null : State.VerifiedThrough + 1, stoppingToken);
                Update(s => Apply(s, report, time.GetUtcNow()));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(e, "Checking the hash chain failed; trying again next time");
                Update(s => s with { Reachable = false });
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>What one verification answer makes of the console's chain state: the badge, and the alert it raises.</summary>
    public static ChainState Apply(ChainState state, ChainReport report, DateTimeOffset now)
    {
        // The database went back (a restore, a reset, a new epoch): what was verified up to the old head may be another
        // history now, so the next check verifies the whole stored range again.
        var wentBack = report.Head < state.VerifiedThrough || (state.Epoch is { } epoch && report.Epoch != epoch);

        // A signer that refuses saw the stored chain differ from the one it delivered: that is a break too, even where
        // the stored chain is consistent with itself (rewritten and re-hashed).
        // So is a witness that holds other checkpoints than the database, or checkpoints the database lost, or that lacks one.
        var broken = report.Break ?? (report.Signer is { Refusing: true } signer
            ? new ChainBreak(report.Head, "signer-refused", signer.Reason ?? "The checkpoint signer refuses to sign the stored chain.")
            : report.Witness is { } witness ? WitnessBreaks.First(witness, report.Head) : null);
        var next = state with
        {
            Reachable = true,
            CheckedAt = now,
            Valid = report.Valid && broken is null,
            VerifiedThrough = wentBack ? null : report.VerifiedThrough ?? state.VerifiedThrough,
            Epoch = report.Epoch,
            Checkpoint = report.Checkpoint ?? state.Checkpoint,
        };
        if (broken is not null && state.Alert?.Break != broken)
        {
            // Raised once per break; an acknowledged one stays down while the same break is found again.
            next = next with { Alert = new ChainAlert(broken, now, Acknowledged: false) };
        }

        return next;
    }

    private void Update(Func<ChainState, ChainState> change)
    {
        lock (_lock)
        {
            _state = change(_state);
        }

        Changed?.Invoke();
    }
}

public sealed record ChainState(bool Reachable, DateTimeOffset? CheckedAt, bool Valid, long? VerifiedThrough,
    Checkpoint? Checkpoint, ChainAlert? Alert, long? Epoch = null)
{
    public static readonly ChainState Unknown = new(false, null, true, null, null, null);
}

public sealed record ChainAlert(ChainBreak Break, DateTimeOffset RaisedAt, bool Acknowledged);
