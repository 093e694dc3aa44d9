using Kavach.ServiceDefaults;
using Kavach.StreamApi;
using Kavach.StreamApi.Apis;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Persistence.Migrations;

// The same build migrates the schema and grants the service's role, with the owner's connection, before the replicas start.
if (args is [MigrateCommand.Name, ..])
{
    return await MigrateCommand.RunAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(StreamMetrics.MeterName);
builder.AddStreamApiServices();

var app = builder.Build();

app.UseForwardedHeadersFromIngress(); // first: the client's scheme and address, as the ingress saw them
app.UseExceptionHandler(); // then: whatever fails below, the answer is a problem body with the right status
app.UseStatusCodePages();
app.UseAccessTokenFromQuery();
app.UseCors();
app.UseRequestLimits(); // per client address and per replica, before any token is checked; per subject after, on each endpoint
app.UseAuthentication(); // after the query token is moved to the header (WebApplication would put it first); see AddTokenValidation

app.MapDefaultEndpoints();
app.MapOpenApiDescription();
app.MapEventsApi();
app.MapRevocationsApi();
app.MapIntegrityApi();
app.MapProofsApi();
app.MapWebhooksApi();
app.MapDestinationsApi();
app.MapSsfApi();
app.MapAlertsApi();
app.MapTokenIssuers();

app.WarnWhenAuthIsOff();
app.CloseStreamsOnShutdown();

app.Run();
return 0;
