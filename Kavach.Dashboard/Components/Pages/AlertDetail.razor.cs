using Kavach.Contracts;
using Kavach.Dashboard.Services.Alerts;
using Microsoft.AspNetCore.Components;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>
/// One alert and its history: the evidence (each sequence opens the history page there), every change with who, when
/// and the note, and — for responders and admins — acknowledge, resolve or reopen. Read again whenever the console's
/// <see cref="AlertsWatcher"/> reads, so another person's change shows here too.
/// </summary>
public sealed partial class AlertDetail : IDisposable
{
    private AlertView? _alert;
    private string? _error;
    private bool _reading;

    [Inject]
    private AlertsClient Client { get; set; } = default!;

    [Inject]
    private AlertsWatcher Watcher { get; set; } = default!;

    [Parameter]
    public long Id { get; set; }

    protected override Task OnParametersSetAsync() => ReadAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        // Only once interactive: prerendering must not leave a subscription behind.
        if (firstRender)
        {
            Watcher.Changed += OnWatcherRead;
        }
    }

    private void OnWatcherRead() => _ = InvokeAsync(async () =>
    {
        if (!_reading)
        {
            await ReadAsync();
            StateHasChanged();
        }
    });

    private Task OnChanged(AlertView _) => ReadAsync();

    private async Task ReadAsync()
    {
        _reading = true;
        try
        {
            _alert = await Client.GetAsync(Id, CancellationToken.None);
            _error = _alert is null ? $"There is no alert #{Id}." : null;
        }
        catch (Exception e) when (e is AlertsRequestException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            _error = $"The alert could not be read from the stream API: {e.Message}";
        }
        finally
        {
            _reading = false;
        }
    }

    public void Dispose() => Watcher.Changed -= OnWatcherRead;
}
