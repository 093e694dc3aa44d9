using System.Security.Claims;
using System.Text.Encodings.Web;
using Kavach.DevIdentity.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace Kavach.DevIdentity.SignIn;

/// <summary>
/// The provider's login form: a user name and password, posted with an antiforgery token, throttled per address. On
/// success it opens the provider's own session (a cookie) and goes back to the authorization request it came from.
/// </summary>
public static class LoginPage
{
    public const string Path = "/account/login";
    public const string CookieScheme = "devidentity";
    public const string CookieName = "kavach.devidentity";

    public static WebApplication MapLoginPage(this WebApplication app)
    {
        app.MapGet(Path, (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
            Form(context, antiforgery, SafeReturnUrl(returnUrl), userName: null, error: null, StatusCodes.Status200OK));

        app.MapPost(Path, async (HttpContext context, IAntiforgery antiforgery, PasswordThrottle throttle, DevUserDirectory users,
            ILoggerFactory loggers) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var returnUrl = SafeReturnUrl(form["returnUrl"]);
            var userName = form["username"].ToString().Trim();
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Form(context, antiforgery, returnUrl, userName, "The form expired: sign in again.", StatusCodes.Status400BadRequest);
            }

            if (!throttle.TryAttempt(context, out var retryAfter))
            {
                var seconds = Kavach.ServiceDefaults.Limits.RetryAfter.Set(context.Response, retryAfter);
                return Form(context, antiforgery, returnUrl, userName,
                    $"Too many sign-in attempts from your address. Try again in {seconds} s.", StatusCodes.Status429TooManyRequests);
            }

            if (users.Authenticate(userName, form["password"]) is null)
            {
                loggers.CreateLogger(typeof(LoginPage)).LogInformation("Sign-in refused for {User}.", userName);
                return Form(context, antiforgery, returnUrl, userName, "That user name or password is not right.", StatusCodes.Status200OK);
            }

            await context.SignInAsync(CookieScheme, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, userName)], CookieScheme)));
            return Results.LocalRedirect(returnUrl);
        });
        return app;
    }

    /// <summary>Only the provider's own authorization endpoint: the form never sends anyone to another site.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is not null && returnUrl.StartsWith(ConnectEndpoints.AuthorizePath, StringComparison.Ordinal)
            && (returnUrl.Length == ConnectEndpoints.AuthorizePath.Length || returnUrl[ConnectEndpoints.AuthorizePath.Length] == '?')
            ? returnUrl
            : "/";

    private static IResult Form(HttpContext context, IAntiforgery antiforgery, string returnUrl, string? userName, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var html = HtmlEncoder.Default;
        var message = error is null ? "" : $"""<p class="error" role="alert">{html.Encode(error)}</p>""";
        var body = $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1.0" />
            <title>Sign in · Kavach development identity</title>
            <style>
            body { font-family: system-ui, sans-serif; background: #0f172a; color: #e2e8f0; display: grid; place-items: center; min-height: 100vh; margin: 0; }
            main { background: #1e293b; padding: 2rem; border-radius: 8px; width: min(22rem, 90vw); }
            label { display: block; margin-top: 1rem; }
            input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; }
            button { margin-top: 1.25rem; padding: .5rem 1rem; }
            .error { color: #fca5a5; }
            .note { color: #94a3b8; font-size: .875rem; }
            </style>
            </head>
            <body>
            <main>
            <h1>Kavach development identity</h1>
            <p class="note">A local OpenID Connect provider for development and tests. Deployed consoles sign in with Entra ID.</p>
            <form method="post" action="{{Path}}">
            <input type="hidden" name="{{html.Encode(tokens.FormFieldName)}}" value="{{html.Encode(tokens.RequestToken ?? "")}}" />
            <input type="hidden" name="returnUrl" value="{{html.Encode(returnUrl)}}" />
            <label for="username">User name</label>
            <input id="username" name="username" autocomplete="username" value="{{html.Encode(userName ?? "")}}" autofocus required />
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
            <button type="submit">Sign in</button>
            </form>
            {{message}}
            </main>
            </body>
            </html>
            """;
        return Results.Content(body, "text/html; charset=utf-8", statusCode: status);
    }
}
