using Kavach.Floor;

// Raw Kestrel: no logging, no routing middleware, no auth handler; one switch on the path.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var hub = new FloorHub(
    builder.Configuration.GetValue("Floor:ChannelCapacity", 4096),
    builder.Configuration.GetValue("Floor:HistoryEvents", 1 << 20),
    TimeSpan.FromSeconds(builder.Configuration.GetValue("Floor:HeartbeatSeconds", 30)));

var app = builder.Build();
app.Run(context => (context.Request.Method, context.Request.Path.Value) switch
{
    ("POST", "/api/kavach/events") => FloorEndpoints.EmitAsync(context, hub),
    ("GET", "/api/kavach/events/stream") => FloorEndpoints.StreamAsync(context, hub),
    ("GET", "/head") => context.Response.WriteAsync(hub.Head.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ("GET", "/health") => context.Response.WriteAsync("Healthy"),
    _ => NotFound(context),
});

app.Run();

static Task NotFound(HttpContext context)
{
    context.Response.StatusCode = StatusCodes.Status404NotFound;
    return Task.CompletedTask;
}
