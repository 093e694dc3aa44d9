using Kavach.Dashboard;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Apis;
using Kavach.Dashboard.Components;
using Kavach.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddDashboardServices();

var app = builder.Build();

app.UseForwardedHeadersFromIngress(); // TLS ends at the ingress: Secure cookies and https:// URLs need its headers

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
}

app.UseConsoleAccess();
app.UseAntiforgery();
app.MapStaticAssets().AllowAnonymous();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapConsoleApi();
app.MapConsoleAlertsApi();
app.MapDefaultEndpoints();

app.WarnWhenKeysDieWithTheProcess();

app.Run();
