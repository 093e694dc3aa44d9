using Kavach.Contracts;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.History;
using Microsoft.AspNetCore.Components;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>
/// Persisted events, browsed with the API's ascending paging; previous pages are a stack of cursors. The query is the
/// URL's (bookmarkable): time range, types, agent, user and text. The whole range exports as a streamed download whose
/// progress the page shows, read from this console's <see cref="ExportProgressBoard"/> by the id it put in the link.
/// </summary>
public partial class History
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

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
    private string? _userId;
    private string? _text;
    private string _nextExportId = NewExportId();
    private ExportProgress? _export;
    private ITimer? _progressTimer;
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

    [Inject]
    private ExportProgressBoard Exports { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "from")]
    public string? FromParameter { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? ToParameter { get; set; }

    [SupplyParameterFromQuery(Name = "types")]
    public string? TypesParameter { get; set; }

    [SupplyParameterFromQuery(Name = "agentId")]
    public string? AgentParameter { get; set; }

    [SupplyParameterFromQuery(Name = "userId")]
    public string? UserParameter { get; set; }

    [SupplyParameterFromQuery(Name = "q")]
    public string? TextParameter { get; set; }

    private int _requests;

    protected override void OnInitialized()
    {
        var fromUrl = HistoryParameters.Parse(FromParameter, ToParameter, TypesParameter, AgentParameter, after: null, UserParameter, TextParameter);
        if (fromUrl.From is null && fromUrl.To is null)
        {
            SetRange(TimeSpan.FromHours(1));
        }
        else
        {
            (_from, _to) = (fromUrl.From, fromUrl.To);
        }

        _agentId = fromUrl.AgentId;
        _userId = fromUrl.UserId;
        _text = fromUrl.Text;
        _types = fromUrl.Types.ToHashSet();
    }

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
        var parameters = HistoryParameters.Parse(
            _from?.ToString(HistoryParameters.InputFormat, System.Globalization.CultureInfo.InvariantCulture),
            _to?.ToString(HistoryParameters.InputFormat, System.Globalization.CultureInfo.InvariantCulture),
            string.Join(',', types), _agentId, after: null, _userId, _text);
        if (parameters.Text is { Length: < 3 })
        {
            _error = "Search text needs at least 3 characters.";
            return;
        }

        // The address bar holds the query, so the view can be bookmarked and shared.
        Navigation.NavigateTo("history" + parameters.ToQueryString(), new NavigationOptions { ReplaceHistoryEntry = true });
        await LoadAsync(parameters);
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

    private string RangeExportHref(string format) =>
        "history/export/range" + (_shown with { After = null }).ToQueryString(format) + "&exportId=" + _nextExportId;

    /// <summary>The download starts with the link's id; the page follows that export and gives the links a new id.</summary>
    private void ExportStarted(string id)
    {
        _nextExportId = NewExportId();
        _export = null;
        _progressTimer?.Dispose();
        var clicked = Time.GetUtcNow();
        _progressTimer = Time.CreateTimer(_ => _ = InvokeAsync(() => PollExport(id, clicked)), null, ProgressInterval, ProgressInterval);
    }

    private void PollExport(string id, DateTimeOffset clicked)
    {
        _export = Exports.Get(id) ?? _export;
        // A download the browser never started (or that the console refused) leaves nothing to follow.
        if (_export is { State: not ExportState.Running } || (_export is null && Time.GetUtcNow() - clicked > TimeSpan.FromSeconds(30)))
        {
            _progressTimer?.Dispose();
            _progressTimer = null;
        }

        StateHasChanged();
    }

    private string ReplayHref => "replay" + (_shown with { After = null }).ToQueryString();

    private static string NewExportId() => Guid.NewGuid().ToString("N");

    public void Dispose() => _progressTimer?.Dispose();

    private static DateTime Minute(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, DateTimeKind.Utc);
}
