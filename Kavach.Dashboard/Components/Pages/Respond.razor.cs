using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Services.Response;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>
/// The responder's page: name a token, a subject or an agent and a reason, review, confirm — the API revokes it with the
/// console's response credential (<c>events:revoke</c> only) on behalf of the signed-in person, and answers with the
/// event that records it. The policy is checked again before each revocation: the page's markup is never the guard.
/// </summary>
public sealed partial class Respond
{
    private const int MaxLength = 200;

    private Stage _stage = Stage.Compose;
    private RevocationTarget _target = RevocationTarget.Subject;
    private string? _value;
    private string? _reason;
    private string _who = "";
    private bool _busy;
    private RecordedRevocation? _result;
    private string? _error;

    [Inject]
    private ResponderClient Api { get; set; } = default!;

    [Inject]
    private ResponderTokenProvider Tokens { get; set; } = default!;

    [Inject]
    private IAuthorizationService Authorization { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary><c>token</c>, <c>subject</c> or <c>agent</c>: what the link that opened the page (the agent page's) names.</summary>
    [SupplyParameterFromQuery(Name = "target")]
    public string? TargetQuery { get; set; }

    [SupplyParameterFromQuery(Name = "value")]
    public string? ValueQuery { get; set; }

    private enum Stage
    {
        Compose,
        Confirm,
    }

    private string ValueLabel => _target switch
    {
        RevocationTarget.Token => "Token id (the jti claim)",
        RevocationTarget.Subject => "Subject (the sub claim)",
        _ => "Agent id",
    };

    protected override async Task OnInitializedAsync()
    {
        _who = ConsoleUser.NameOf((await AuthenticationState).User);
        if (TargetQuery is not null && Enum.TryParse<RevocationTarget>(TargetQuery, ignoreCase: true, out var target))
        {
            _target = target;
        }

        _value = ValueQuery;
    }

    private void Review()
    {
        _error = null;
        _result = null;
        _value = _value?.Trim();
        _reason = _reason?.Trim();
        _error = string.IsNullOrEmpty(_value) ? $"Give the {ValueLabel.ToLowerInvariant()} to revoke."
            : string.IsNullOrEmpty(_reason) ? "Give a reason: it is recorded in the log with the revocation."
            : _value.Length > MaxLength || _reason.Length > MaxLength ? $"Keep the value and the reason to {MaxLength} characters."
            : _value.Any(char.IsControl) || _reason.Any(char.IsControl) ? "The value and the reason must be one line of text."
            : null;
        if (_error is null)
        {
            _stage = Stage.Confirm;
        }
    }

    private void Back() => _stage = Stage.Compose;

    private void Another()
    {
        _result = null;
        _value = null;
        _reason = null;
        _stage = Stage.Compose;
    }

    private async Task RevokeAsync()
    {
        _busy = true;
        _error = null;
        try
        {
            var user = (await AuthenticationState).User;
            if (!(await Authorization.AuthorizeAsync(user, ConsolePolicies.Respond)).Succeeded)
            {
                _error = "Only a responder or an admin may revoke.";
                return;
            }

            _result = await Api.RevokeAsync(_target, _value!, _reason!, ConsoleUser.NameOf(user), CancellationToken.None);
            _stage = Stage.Compose;
            _value = null;
            _reason = null;
        }
        catch (Exception e) when (e is ResponseRequestException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private static RevocationTarget Parse(string kind) =>
        Enum.TryParse<RevocationTarget>(kind, ignoreCase: true, out var target) ? target : RevocationTarget.Token;

    private static string Describe(RevocationTarget target, string value) => target switch
    {
        RevocationTarget.Token => $"token {value}",
        RevocationTarget.Subject => $"every token of subject {value}",
        _ => $"every token of agent {value}",
    };
}
