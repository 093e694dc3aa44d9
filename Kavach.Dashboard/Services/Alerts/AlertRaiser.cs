namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// Sends what the rules found (<see cref="PendingRaises"/>) to the API, oldest first, as it becomes due. Every console
/// instance does so for the events it sees: the API keeps one alert per finding, so two instances, or one replaying
/// its window after a restart, raise nothing twice and reopen nothing.
/// </summary>
public sealed partial class AlertRaiser(PendingRaises pending, IServiceScopeFactory scopes, AlertsWatcher watcher, TimeProvider time,
    ILogger<AlertRaiser> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var added = pending.AddedAsync();
            var (due, nextDueAt) = pending.Due();
            var raised = false;
            foreach (var raise in due)
            {
                raised |= await RaiseAsync(raise, stoppingToken);
            }

            if (raised)
            {
                watcher.WakeUp();
            }

            if (due.Count > 0)
            {
                continue;
            }

            var wait = nextDueAt is { } at ? at - time.GetUtcNow() : Timeout.InfiniteTimeSpan;
            try
            {
                await (wait == Timeout.InfiniteTimeSpan
                    ? added.WaitAsync(stoppingToken)
                    : Task.WhenAny(added, Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stoppingToken)));
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task<bool> RaiseAsync(PendingRaise raise, CancellationToken cancellationToken)
    {
        var candidate = raise.Candidate;
        try
        {
            using var scope = scopes.CreateScope();
            var alert = await scope.ServiceProvider.GetRequiredService<AlertsClient>().RaiseAsync(candidate.ToRaise(), cancellationToken);
            pending.Accepted(raise);
            LogRaised(logger, alert.Id, candidate.Rule, candidate.EntityKind, candidate.Entity);
            return true;
        }
        catch (AlertsRequestException e) when (e.IsPermanent)
        {
            pending.Rejected(raise, e.Message);
            LogRejected(logger, e, candidate.Rule, candidate.EntityKind, candidate.Entity);
            return false;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            pending.Failed(raise, e.Message);
            LogFailed(logger, e, candidate.Rule, candidate.EntityKind, candidate.Entity, raise.Attempts, raise.DueAt);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} stands for rule {Rule} on {EntityKind} {Entity}")]
    private static partial void LogRaised(ILogger logger, long alertId, string rule, string entityKind, string entity);

    [LoggerMessage(Level = LogLevel.Error, Message = "The API rejected the alert of rule {Rule} on {EntityKind} {Entity}; it is not raised")]
    private static partial void LogRejected(ILogger logger, Exception error, string rule, string entityKind, string entity);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Raising the alert of rule {Rule} on {EntityKind} {Entity} failed (attempt {Attempts}); trying again at {DueAt}")]
    private static partial void LogFailed(ILogger logger, Exception error, string rule, string entityKind, string entity, int attempts, DateTimeOffset dueAt);
}
