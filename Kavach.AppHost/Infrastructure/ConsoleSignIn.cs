namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// How people sign in to the console (docs/console.md, "Sign-in and roles"). Run mode starts the development OpenID
/// Connect provider (Kavach.DevIdentity) with alice (admin), bob (responder) and carol (viewer), whose password is the
/// secret parameter <c>dev-users-password</c>, and registers the console as its client. Publish mode signs in with
/// Entra ID: its authority, the app registration's client id and its secret are parameters.
/// </summary>
internal static class ConsoleSignIn
{
    public const string ClientId = "kavach-console";
    public const string CallbackPath = "/signin-oidc";
    public const string SignedOutCallbackPath = "/signout-callback-oidc";

    /// <summary>A users file (AppHost configuration <c>Kavach:DevIdentity:UsersFile</c>) replaces the three built-in users.</summary>
    public const string UsersFileKey = "Kavach:DevIdentity:UsersFile";

    public static IResourceBuilder<ProjectResource> WithConsoleSignIn(this IResourceBuilder<ProjectResource> console, IDistributedApplicationBuilder builder)
    {
        console.WithEnvironment("Console__Auth__Mode", "Oidc");
        if (builder.ExecutionContext.IsPublishMode)
        {
            // Entra ID: e.g. https://login.microsoftonline.com/<tenant id>/v2.0, and an app registration with app roles
            // viewer, responder and admin, its redirect URI https://<console>/signin-oidc.
            return console
                .WithEnvironment("Console__Auth__Authority", builder.AddParameter("console-oidc-authority"))
                .WithEnvironment("Console__Auth__ClientId", builder.AddParameter("console-oidc-client-id"))
                .WithEnvironment("Console__Auth__ClientSecret", builder.AddParameter("console-oidc-client-secret", secret: true));
        }

        var password = builder.AddParameter("dev-users-password",
            new GenerateParameterDefault { MinLength = 16, Special = false }, secret: true, persist: true);
        var clientSecret = builder.AddParameter("console-oidc-client-secret",
            new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
        var consoleEndpoint = console.GetEndpoint("http");
        var identity = builder.AddProject<Projects.Kavach_DevIdentity>("identity")
            .WithEnvironment("DevIdentity__Password", password)
            .WithEnvironment("DevIdentity__Clients__0__Id", ClientId)
            .WithEnvironment("DevIdentity__Clients__0__Secret", clientSecret)
            .WithEnvironment("DevIdentity__Clients__0__RedirectUris__0", ReferenceExpression.Create($"{consoleEndpoint}{CallbackPath}"))
            .WithEnvironment("DevIdentity__Clients__0__PostLogoutRedirectUris__0", ReferenceExpression.Create($"{consoleEndpoint}{SignedOutCallbackPath}"))
            .WithHttpHealthCheck("/health");
        if (builder.Configuration[UsersFileKey] is { Length: > 0 } usersFile)
        {
            identity.WithEnvironment("DevIdentity__UsersFile", Path.GetFullPath(usersFile));
        }

        return console
            .WithEnvironment("Console__Auth__Authority", identity.GetEndpoint("http"))
            .WithEnvironment("Console__Auth__ClientId", ClientId)
            .WithEnvironment("Console__Auth__ClientSecret", clientSecret)
            .WaitFor(identity);
    }
}
