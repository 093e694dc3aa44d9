using Kavach.Contracts;
using Kavach.Dashboard.Services.Destinations;
using Kavach.Dashboard.Access;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>
/// Every push destination as the console's <see cref="DestinationsWatcher"/> last read it, re-rendered on each read, with
/// pause (and why), resume and redeliver from a sequence. Actions go to the API with the console's admin token; their
/// answer shows at once.
/// </summary>
public sealed partial class Destinations : IDisposable
{
    private DestinationsState _state = DestinationsState.Unknown;
    private (Guid Id, ActionForm Form)? _open;
    private string? _reason;
    private long? _fromSequence;
    private bool _busy;
    private string? _outcome;
    private string? _actionError;

    [Inject]
    private DestinationsWatcher Watcher { get; set; } = default!;

    [Inject]
    private DestinationsClient Api { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private IAuthorizationService Authorization { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private DateTimeOffset Now => Time.GetUtcNow();

    private enum ActionForm
    {
        Pause,
        Redeliver,
    }

    protected override void OnInitialized() => _state = Watcher.State;

    protected override void OnAfterRender(bool firstRender)
    {
        // Only once interactive: prerendering must not leave a subscription behind.
        if (firstRender)
        {
            Watcher.Changed += OnChanged;
            Watcher.WakeUp();
        }
    }

    private void OnChanged() => _ = InvokeAsync(() =>
    {
        _state = Watcher.State;
        StateHasChanged();
    });

    private bool IsOpen(DestinationView d, ActionForm form) => _open == (d.Id, form);

    private void Open(DestinationView d, ActionForm form)
    {
        _open = IsOpen(d, form) ? null : (d.Id, form);
        _reason = null;
        _fromSequence = Math.Max(1, d.Cursor);
        _actionError = null;
    }

    private void Close() => _open = null;

    private Task PauseAsync(DestinationView d) =>
        ActAsync(d, "paused", ct => Api.PauseAsync(d.Id, _reason, ct));

    private Task ResumeAsync(DestinationView d) =>
        ActAsync(d, "resumed: it goes on from its cursor", ct => Api.ResumeAsync(d.Id, ct));

    private Task RedeliverAsync(DestinationView d)
    {
        if (_fromSequence is not ({ } from and >= 1))
        {
            _actionError = "Give the sequence to send again from: a whole number, 1 or more.";
            return Task.CompletedTask;
        }

        return ActAsync(d, $"will be sent everything again from #{from}", ct => Api.RedeliverAsync(d.Id, from, ct));
    }

    private async Task ActAsync(DestinationView d, string done, Func<CancellationToken, Task<DestinationView>> action)
    {
        _actionError = null;
        _outcome = null;
        // The buttons show to admins only, but the circuit takes any event it is sent: the server checks again.
        if (!(await Authorization.AuthorizeAsync((await AuthenticationState).User, ConsolePolicies.Administer)).Succeeded)
        {
            _actionError = "Managing destinations needs the admin role.";
            return;
        }

        _busy = true;
        try
        {
            var changed = await action(CancellationToken.None);
            Watcher.Replace(changed);
            _state = Watcher.State;
            _open = null;
            _outcome = $"{changed.Description ?? DestinationStatus.DisplayUrl(changed.Url)} {done}.";
        }
        catch (Exception e) when (e is DestinationsRequestException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            _actionError = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private string NextAttempt(DestinationView d) => d switch
    {
        _ when !DestinationStatus.Is(d, DestinationStatus.Enabled) => "— (not sending)",
        { NextAttemptAt: { } next } when next > Now => $"in {DestinationStatus.Span(next - Now)}",
        { Attempts: > 0 } => "now",
        _ => "—",
    };

    private static string KindName(string kind) => kind.ToLowerInvariant() switch
    {
        "webhook" => "Webhook",
        "ssf" => "SSF stream",
        _ => kind,
    };

    public void Dispose() => Watcher.Changed -= OnChanged;
}
