using Kavach.Contracts;
using Kavach.Dashboard.Services.Alerts;
using Microsoft.AspNetCore.Components;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>
/// The alerts the API keeps, by state (open, acknowledged, resolved, all), newest first and paged; read again whenever
/// the console's <see cref="AlertsWatcher"/> reads, so changes made anywhere show within its poll interval. The URL
/// carries the tab and the page, so a view can be bookmarked.
/// </summary>
public sealed partial class Alerts : IDisposable
{
    private const string AllStates = "all";
    private const int PageSize = 50;

    private static readonly (string State, string Label)[] Tabs =
        [(AlertStates.Open, "Open"), (AlertStates.Acknowledged, "Acknowledged"), (AlertStates.Resolved, "Resolved"), (AllStates, "All")];

    private AlertPage? _page;
    private string? _error;
    private DateTimeOffset? _readAt;
    private PendingRaisesStatus _raises = PendingRaisesStatus.Idle;
    private bool _reading;

    [Inject]
    private AlertsClient Client { get; set; } = default!;

    [Inject]
    private AlertsWatcher Watcher { get; set; } = default!;

    [Inject]
    private PendingRaises Raises { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "state")]
    public string? State { get; set; }

    [SupplyParameterFromQuery(Name = "before")]
    public long? Before { get; set; }

    private string Current => State is not null && (AlertStates.All.Contains(State) || State == AllStates) ? State : AlertStates.Open;

    protected override Task OnParametersSetAsync() => ReadAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        // Only once interactive: prerendering must not leave a subscription behind.
        if (firstRender)
        {
            Watcher.Changed += OnChanged;
        }
    }

    private void OnChanged() => _ = InvokeAsync(async () =>
    {
        if (!_reading)
        {
            await ReadAsync();
            StateHasChanged();
        }
    });

    private async Task ReadAsync()
    {
        _reading = true;
        _raises = Raises.Status;
        try
        {
            _page = await Client.ListAsync(Current == AllStates ? null : Current, Before, PageSize, CancellationToken.None);
            _readAt = Time.GetUtcNow();
            _error = null;
        }
        catch (Exception e) when (e is AlertsRequestException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            _error = $"The alerts could not be read from the stream API: {e.Message}";
        }
        finally
        {
            _reading = false;
        }
    }

    private static string Href(string state, long? before) =>
        $"alerts?state={state}" + (before is { } b ? $"&before={b}" : "");

    public void Dispose() => Watcher.Changed -= OnChanged;
}
