using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Destinations;

/// <summary>
/// Reads every push destination from the API every <see cref="StreamApiOptions.DestinationsPollInterval"/>, once per
/// console instance whatever the number of tabs, for the destinations page and for the alert a destination paused by
/// the retry horizon raises on every page. An action's answer replaces its row at once and wakes the next read.
/// </summary>
public sealed class DestinationsWatcher(IServiceScopeFactory scopes, IOptions<StreamApiOptions> options, TimeProvider time,
    ILogger<DestinationsWatcher> logger) : BackgroundService
{
    /// <summary>After the API or the token endpoint refused the admin scope, reads are this many intervals apart.</summary>
    private const int RefusedSlowdown = 6;

    private readonly Lock _lock = new();
    private DestinationsState _state = DestinationsState.Unknown;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DestinationsState State
    {
        get { lock (_lock) { return _state; } }
    }

    public event Action? Changed;

    public TimeSpan Interval => options.Value.DestinationsPollInterval;

    /// <summary>Takes the alert of a destination paused by the retry horizon down, until it is paused by it again.</summary>
    public void Acknowledge(string alertKey) => Update(s => s with { Acknowledged = s.Acknowledged.Add(alertKey) });

    /// <summary>What an action answered: shown at once, and read again with the others right away.</summary>
    public void Replace(DestinationView changed)
    {
        Update(s => s with { Destinations = s.Destinations.Select(d => d.Id == changed.Id ? changed : d).ToList() });
        WakeUp();
    }

    public void WakeUp()
    {
        lock (_lock)
        {
            _wake.TrySetResult();
        }
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

            var refused = false;
            try
            {
                using var scope = scopes.CreateScope();
                var list = await scope.ServiceProvider.GetRequiredService<DestinationsClient>().ListAsync(stoppingToken);
                Update(s => Apply(s, list.Destinations, time.GetUtcNow()));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                refused = e is DestinationsRequestException { Status: 401 or 403 }
                    or HttpRequestException { StatusCode: System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden };
                logger.LogDebug(e, "Reading the push destinations failed; trying again later");
                Update(s => s with { Error = e.Message, ErrorAt = time.GetUtcNow() });
            }

            var interval = options.Value.DestinationsPollInterval * (refused ? RefusedSlowdown : 1);
            try
            {
                await Task.WhenAny(wake, Task.Delay(interval, time, stoppingToken));
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>A fresh read of the destinations: the page's rows, and which acknowledgements still stand.</summary>
    public static DestinationsState Apply(DestinationsState state, IReadOnlyList<DestinationView> destinations, DateTimeOffset now)
    {
        var current = destinations.Where(DestinationStatus.IsPausedByRetryHorizon).Select(DestinationStatus.AlertKey).ToHashSet();
        return state with
        {
            Destinations = destinations,
            FetchedAt = now,
            Error = null,
            ErrorAt = null,
            // An acknowledgement lasts while that pause does: resumed and paused by the horizon again, it raises the alert anew.
            Acknowledged = state.Acknowledged.Intersect(current),
        };
    }

    private void Update(Func<DestinationsState, DestinationsState> change)
    {
        lock (_lock)
        {
            _state = change(_state);
        }

        Changed?.Invoke();
    }
}
