using Kavach.Dashboard.Options;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Access;

/// <summary>
/// An open page (a Blazor circuit) sends no requests, so the cookie check never runs for it: this checks its session
/// every <see cref="ConsoleAuthOptions.RevalidateEvery"/> too, and an ended session signs the page out (the router then
/// sends it to the sign-in page).
/// </summary>
internal sealed class CircuitSessionRevalidation(ILoggerFactory loggers, IServiceScopeFactory scopes, IOptions<ConsoleAuthOptions> auth)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => auth.Value.RevalidateEvery < TimeSpan.FromSeconds(1)
        ? TimeSpan.FromSeconds(1)
        : auth.Value.RevalidateEvery;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var check = await scope.ServiceProvider.GetRequiredService<SessionGuard>()
            .CheckAsync(authenticationState.User, cookieRefreshToken: null, cancellationToken);
        return check?.HasEnded != true;
    }
}
