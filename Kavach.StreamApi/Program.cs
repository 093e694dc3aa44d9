using Kavach.ServiceDefaults;
using Kavach.StreamApi;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStreamApiServices();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
