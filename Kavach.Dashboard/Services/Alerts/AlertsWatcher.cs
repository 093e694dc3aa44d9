using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// Reads the open alerts from the API every <see cref="AlertRulesOptions.PollInterval"/>, once per console instance
/// whatever the number of tabs, and at once after this console raised or changed one (<see cref="WakeUp"/>). The
/// banner shows what this read: state another console instance, or one before a restart, changed is seen here too.
/// </summary>
public sealed class AlertsWatcher(IServiceScopeFactory scopes, IOptions<AlertRulesOptions> options, TimeProvider time,
    ILogger<AlertsWatcher> logger) : BackgroundService
{
    /// <summary>The banner shows the newest open alerts; a page this size is plenty, the alerts page shows the rest.</summary>
    public const int OpenPageSize = 100;

    private readonly Lock _lock = new();
    private AlertsState _state = AlertsState.Unknown;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AlertsState State
    {
        get { lock (_lock) { return _state; } }
    }

    /// <summary>After every read (even an unchanged one): pages showing alerts read theirs again.</summary>
    public event Action? Changed;

    public void WakeUp()
    {
        lock (_lock)
        {
            _wake.TrySetResult();
        }
    }

    /// <summary>What a change answered: shown at once (the alert leaves the open ones when it is no longer open), then read again.</summary>
    public void Replace(AlertView changed)
    {
        Update(s => s with
        {
            Open = changed.State == AlertStates.Open
                ? s.Open.Any(a => a.Id == changed.Id) ? [.. s.Open.Select(a => a.Id == changed.Id ? changed : a)] : [changed, .. s.Open]
                : [.. s.Open.Where(a => a.Id != changed.Id)],
        });
        WakeUp();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Task wake;
            lock (_lock)
            {
                _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
                wake = _wake.Task;
            }

            try
            {
                using var scope = scopes.CreateScope();
                var page = await scope.ServiceProvider.GetRequiredService<AlertsClient>()
                    .ListAsync(AlertStates.Open, null, OpenPageSize, stoppingToken);
                Update(s => s with { Open = page.Alerts, MoreOpen = page.Next is not null, FetchedAt = time.GetUtcNow(), Error = null, ErrorAt = null });
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(e, "Reading the open alerts failed; trying again later");
                Update(s => s with { Error = e.Message, ErrorAt = time.GetUtcNow() });
            }

            try
            {
                await Task.WhenAny(wake, Task.Delay(options.Value.PollInterval, time, stoppingToken));
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void Update(Func<AlertsState, AlertsState> change)
    {
        lock (_lock)
        {
            _state = change(_state);
        }

        Changed?.Invoke();
    }
}
