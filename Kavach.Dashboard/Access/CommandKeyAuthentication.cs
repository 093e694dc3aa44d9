using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Access;

/// <summary>
/// The AppHost's demo command is no person: it sends <c>X-Kavach-Command-Key</c> with the key the AppHost gives the
/// console (<c>Console:CommandKey</c>). Only the demo endpoints accept this scheme; it opens no page.
/// </summary>
public sealed class CommandKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder, IConfiguration configuration)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "CommandKey";
    public const string HeaderName = "X-Kavach-Command-Key";
    public const string ConfigurationKey = "Console:CommandKey";
    public const string CommandUser = "apphost-command";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var sent))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var expected = configuration[ConfigurationKey];
        if (string.IsNullOrEmpty(expected) || !ConsoleAccess.IsValidKey(sent.ToString(), expected))
        {
            return Task.FromResult(AuthenticateResult.Fail("The command key is not right."));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, CommandUser)], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
