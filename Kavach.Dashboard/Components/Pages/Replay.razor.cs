using System.Globalization;
using Kavach.Contracts;
using Kavach.Dashboard.Components.Controls;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.Feed;
using Kavach.Dashboard.Services.History;
using Kavach.Dashboard.Services.Replay;
using Microsoft.AspNetCore.Components;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>
/// Time travel: a past window played again at a chosen speed through the live page's rows, chips and chart. The events
/// come from the API's pages (a page read ahead at most), never from the shared live feed, which goes on untouched; what
/// is shown is this page's own: the newest <see cref="Kept"/> events, counts by type and the chart's minutes at the
/// replay's time. The query is the URL's, so a replay can be bookmarked.
/// </summary>
public partial class Replay
{
    public const string TimeFormat = "yyyy-MM-ddTHH:mm:ss";
    private const int Kept = 500;
    private const int Shown = 200;
    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(250);

    private readonly List<KavachEvent> _recent = new(Kept * 2);
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private RateBuckets _buckets = new();
    private ReplayClock? _clock;
    private CancellationTokenSource? _run;
    private TaskCompletionSource _resumed = NewSignal();
    private ReplayState _state = ReplayState.Idle;
    private IReadOnlySet<string> _types = new HashSet<string>();
    private DateTime? _from;
    private DateTime? _to;
    private string? _agentId;
    private string? _userId;
    private ReplaySpeed _speed = ReplaySpeed.Sixty;
    private KavachEvent? _selected;
    private long _shown;
    private long _lastRender;
    private string? _error;

    [Inject]
    private StreamApiClient Api { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "from")]
    public string? FromParameter { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? ToParameter { get; set; }

    [SupplyParameterFromQuery(Name = "speed")]
    public string? SpeedParameter { get; set; }

    [SupplyParameterFromQuery(Name = "types")]
    public string? TypesParameter { get; set; }

    [SupplyParameterFromQuery(Name = "agentId")]
    public string? AgentParameter { get; set; }

    [SupplyParameterFromQuery(Name = "userId")]
    public string? UserParameter { get; set; }

    [SupplyParameterFromQuery(Name = "q")]
    public string? TextParameter { get; set; }

    private string StatusText => _state switch
    {
        ReplayState.Idle => "Pick a window and press Replay.",
        ReplayState.Done => $"Replay finished: {_shown:N0} events from {_from?.ToString(TimeFormat, CultureInfo.InvariantCulture)} to {_to?.ToString(TimeFormat, CultureInfo.InvariantCulture)}.",
        ReplayState.Failed => $"Replay stopped after {_shown:N0} events.",
        _ => $"{(_state == ReplayState.Paused ? "Paused" : "Replaying")} at {_clock?.Speed.Label}: " +
             $"{_clock?.Now.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)} reached, {_shown:N0} events shown.",
    };

    protected override void OnInitialized()
    {
        var parameters = HistoryParameters.Parse(FromParameter, ToParameter, TypesParameter, AgentParameter, after: null, UserParameter, TextParameter);
        var now = Time.GetUtcNow().UtcDateTime;
        _to = parameters.To ?? (parameters.From is null ? Second(now) : null);
        _from = parameters.From ?? Second(now.AddMinutes(-15));
        _agentId = parameters.AgentId;
        _userId = parameters.UserId;
        _types = parameters.Types.ToHashSet();
        _speed = ReplaySpeed.Parse(SpeedParameter);
    }

    // Only once interactive: prerendering must not start a replay it cannot finish.
    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            Start();
        }
    }

    private void ApplyAsync()
    {
        Navigation.NavigateTo("replay" + QueryString(), new NavigationOptions { ReplaceHistoryEntry = true });
        Start();
    }

    private void Start()
    {
        _run?.Cancel();
        _run?.Dispose();
        _run = new CancellationTokenSource();
        _recent.Clear();
        _counts.Clear();
        _buckets = new RateBuckets();
        _shown = 0;
        _selected = null;
        _error = null;
        if (_from is not { } from)
        {
            _state = ReplayState.Idle;
            return;
        }

        _clock = new ReplayClock(Time, new DateTimeOffset(DateTime.SpecifyKind(from, DateTimeKind.Utc)), _speed);
        _resumed = NewSignal();
        _resumed.TrySetResult();
        _state = ReplayState.Playing;
        _ = RunAsync(_clock, _run.Token);
        StateHasChanged();
    }

    /// <summary>Reads the window page by page (the next page asked for while this one plays) and shows each event on time.</summary>
    private async Task RunAsync(ReplayClock clock, CancellationToken cancellationToken)
    {
        var query = HistoryParameters.Parse(_from?.ToString(TimeFormat, CultureInfo.InvariantCulture), _to?.ToString(TimeFormat, CultureInfo.InvariantCulture),
            TypesParameter, _agentId, after: null, _userId, TextParameter).ToQuery(RangeExporter.PageSize);
        try
        {
            var page = await RangeExporter.PageAsync(Api, query, Time, cancellationToken);
            while (true)
            {
                var next = page.Next is { } after ? RangeExporter.PageAsync(Api, query with { After = after }, Time, cancellationToken) : null;
                foreach (var e in page.Events)
                {
                    await WaitForAsync(clock, e.Timestamp, cancellationToken);
                    Show(clock, e);
                }

                if (next is null)
                {
                    break;
                }

                page = await next;
            }

            _state = ReplayState.Done;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            _state = ReplayState.Failed;
            _error = $"The stream API could not be read: {e.Message}";
        }

        StateHasChanged();
    }

    /// <summary>Until the replay's time reaches the event, waking at least every <see cref="LongestWait"/> so pause and speed apply promptly.</summary>
    private async Task WaitForAsync(ReplayClock clock, DateTimeOffset eventTime, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _resumed.Task.WaitAsync(cancellationToken);
            var wait = clock.Until(eventTime);
            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(wait < LongestWait ? wait : LongestWait, Time, cancellationToken);
            Render();
        }
    }

    private void Show(ReplayClock clock, KavachEvent e)
    {
        clock.Reached(e.Timestamp);
        _recent.Add(e);
        if (_recent.Count >= Kept * 2)
        {
            _recent.RemoveRange(0, _recent.Count - Kept);
        }

        _counts[e.Type] = _counts.GetValueOrDefault(e.Type) + 1;
        _buckets.Add(e.Type, e.Timestamp);
        _shown++;
        Render();
    }

    /// <summary>At most one render per <see cref="LiveComponentBase.BatchInterval"/>, as the live page does.</summary>
    private void Render()
    {
        var now = Time.GetTimestamp();
        if (Time.GetElapsedTime(_lastRender, now) >= LiveComponentBase.BatchInterval)
        {
            _lastRender = now;
            StateHasChanged();
        }
    }

    private KavachEvent[] ViewedEvents()
    {
        var view = new FeedFilter(_types, null).NewestFirst(_recent);
        return view.Length > Shown ? view[..Shown] : view;
    }

    private void TogglePause()
    {
        if (_clock is null || _state is not (ReplayState.Playing or ReplayState.Paused))
        {
            return;
        }

        if (_clock.IsPaused)
        {
            _clock.Resume();
            _state = ReplayState.Playing;
            _resumed.TrySetResult();
        }
        else
        {
            _clock.Pause();
            _state = ReplayState.Paused;
            _resumed = NewSignal();
        }
    }

    private void ChangeSpeed(ReplaySpeed speed)
    {
        _speed = speed;
        _clock?.Change(speed);
        Navigation.NavigateTo("replay" + QueryString(), new NavigationOptions { ReplaceHistoryEntry = true });
    }

    private void Select(KavachEvent e) => _selected = _selected?.Sequence == e.Sequence ? null : e;

    private string QueryString()
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                parts.Add($"{name}={Uri.EscapeDataString(value.Trim())}");
            }
        }

        Add("from", _from?.ToString(TimeFormat, CultureInfo.InvariantCulture));
        Add("to", _to?.ToString(TimeFormat, CultureInfo.InvariantCulture));
        Add("speed", _speed.Name);
        Add("types", TypesParameter);
        Add("agentId", _agentId);
        Add("userId", _userId);
        Add("q", TextParameter);
        return "?" + string.Join('&', parts);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static DateTime Second(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, DateTimeKind.Utc);

    public void Dispose()
    {
        _run?.Cancel();
        _run?.Dispose();
    }

    private enum ReplayState
    {
        Idle,
        Playing,
        Paused,
        Done,
        Failed,
    }
}
