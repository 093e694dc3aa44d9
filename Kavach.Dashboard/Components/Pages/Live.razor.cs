using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Demo;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.Feed;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Components.Pages;

public partial class Live
{
    private static readonly TimeSpan DemoDuration = TimeSpan.FromMinutes(10);

    private IReadOnlySet<string> _types = new HashSet<string>();
    private string? _party;
    private FeedFilter _filter = FeedFilter.All;
    private KavachEvent[] _view = [];
    private KavachEvent? _selected;
    private bool _paused;
    private long _pausedAt;
    private int _newWhilePaused;
    private int _openAlerts;

    [Inject]
    private AlertsWatcher Alerts { get; set; } = default!;

    [Inject]
    private DemoTrafficGenerator Demo { get; set; } = default!;

    [Inject]
    private IOptions<StreamApiOptions> ApiOptions { get; set; } = default!;

    private bool DemoEnabled => ApiOptions.Value.EnableDemoTraffic;

    protected override Task OnInitializedAsync()
    {
        Demo.Changed += OnDemoChanged;
        return base.OnInitializedAsync();
    }

    protected override void OnFeedChanged(FeedSnapshot snapshot)
    {
        _openAlerts = Alerts.State.Open.Count;
        if (_paused)
        {
            _newWhilePaused = _filter.CountNewerThan(snapshot.Events, _pausedAt);
        }
        else
        {
            _view = _filter.NewestFirst(snapshot.Events);
        }
    }

    private void OnTypesChanged(IReadOnlySet<string> types)
    {
        _types = types;
        ApplyFilter();
    }

    private void OnPartyChanged(ChangeEventArgs e)
    {
        _party = e.Value as string;
        ApplyFilter();
    }

    private void ApplyFilter()
    {
        _filter = new FeedFilter(_types, _party);
        _view = _filter.NewestFirst(Snapshot.Events, _paused ? _pausedAt : long.MaxValue);
        if (_paused)
        {
            _newWhilePaused = _filter.CountNewerThan(Snapshot.Events, _pausedAt);
        }
    }

    private void TogglePause()
    {
        // Pausing freezes the view at the newest event now; later events stay in the shared feed and are counted.
        _paused = !_paused;
        RefreshFromFeed();
        if (_paused)
        {
            _pausedAt = Snapshot.LastSequence;
            _newWhilePaused = 0;
            _view = _filter.NewestFirst(Snapshot.Events, _pausedAt);
        }
    }

    private void Select(KavachEvent e) => _selected = _selected?.Sequence == e.Sequence ? null : e;

    private void ToggleDemo()
    {
        if (Demo.IsRunning)
        {
            Demo.Stop();
        }
        else
        {
            Demo.Start(DemoDuration);
        }
    }

    private void OnDemoChanged() => _ = InvokeAsync(StateHasChanged);

    protected override void Dispose(bool disposing)
    {
        Demo.Changed -= OnDemoChanged;
        base.Dispose(disposing);
    }
}
