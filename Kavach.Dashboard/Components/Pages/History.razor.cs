using Kavach.Contracts;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.History;
using Microsoft.AspNetCore.Components;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>Persisted events, browsed with the API's ascending paging; previous pages are a stack of cursors.</summary>
public partial class History
{
    private static readonly (string Label, TimeSpan Span)[] QuickRanges =
    [
        ("Last 15 min", TimeSpan.FromMinutes(15)),
        ("Last hour", TimeSpan.FromHours(1)),
        ("Last 24 h", TimeSpan.FromDays(1)),
    ];

    private readonly Stack<long?> _cursors = new();
    private DateTime? _from;
    private DateTime? _to;
    private string? _agentId;
    private IReadOnlySet<string> _types = new HashSet<string>();
    private HistoryParameters _shown = HistoryParameters.Parse(null, null, null, null, null);
    private EventPage? _page;
    private KavachEvent? _selected;
    private bool _loading;
    private string? _error;

    [Inject]
    private StreamApiClient Api { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    private int _requests;

    protected override void OnInitialized() => SetRange(TimeSpan.FromHours(1));

    // The last hour is shown as soon as the page is interactive (not while prerendering, which would ask twice).
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && _page is null)
        {
            await SearchAsync();
            StateHasChanged();
        }
    }

    private void SetRange(TimeSpan span)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        _from = Minute(now - span);
        _to = null;
    }

    private async Task SearchAsync()
    {
        _cursors.Clear();
        var types = EventTypes.All.Where(_types.Contains).ToArray();
        await LoadAsync(new HistoryParameters(_from, _to, types, _agentId, After: null));
    }

    private async Task NextAsync()
    {
        if (_page?.Next is { } next)
        {
            _cursors.Push(_shown.After);
            await LoadAsync(_shown with { After = next });
        }
    }

    private async Task PreviousAsync()
    {
        if (_cursors.TryPop(out var after))
        {
            await LoadAsync(_shown with { After = after });
        }
    }

    private async Task LoadAsync(HistoryParameters parameters)
    {
        var request = ++_requests;
        _loading = true;
        _error = null;
        try
        {
            var page = await Api.GetPageAsync(parameters.ToQuery(), CancellationToken.None);
            if (request != _requests)
            {
                return;
            }

            _page = page;
            _shown = parameters;
            _selected = null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            _error = $"The stream API could not be read: {e.Message}";
        }
        finally
        {
            if (request == _requests)
            {
                _loading = false;
            }
        }
    }

    private string ExportHref(string format) => "history/export" + _shown.ToQueryString(format);

    private static DateTime Minute(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, DateTimeKind.Utc);
}
