using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kavach.Tests.Support;

public sealed record Emitted(string Id, long Sequence, DateTimeOffset Timestamp);

/// <summary>The JSON endpoints of one API address, with a token.</summary>
public sealed class EventsClient(Uri baseAddress, string? token = null) : IDisposable
{
    private readonly HttpClient _http = Create(baseAddress, token);

    public HttpClient Http => _http;

    public static JsonObject Event(string type, string? agentId = null, object? data = null, string? id = null)
    {
        var node = new JsonObject
        {
            ["type"] = type,
            ["data"] = JsonSerializer.SerializeToNode(data ?? new { note = "test" }),
        };
        if (agentId is not null)
        {
            node["agentId"] = agentId;
        }

        if (id is not null)
        {
            node["id"] = id;
        }

        return node;
    }

    public Task<HttpResponseMessage> PostAsync(JsonNode body) =>
        _http.PostAsync("/api/kavach/events", new StringContent(body.ToJsonString(), MediaTypeHeaderValue.Parse("application/json")));

    public async Task<List<Emitted>> EmitAsync(params JsonObject[] events)
    {
        JsonNode body = events.Length == 1 ? events[0] : new JsonArray([.. events]);
        using var response = await PostAsync(body.DeepClone());
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, text);
        using var document = JsonDocument.Parse(text);
        return [.. document.RootElement.GetProperty("events").EnumerateArray()
            .Select(e => new Emitted(e.GetProperty("id").GetString()!, e.GetProperty("sequence").GetInt64(), e.GetProperty("timestamp").GetDateTimeOffset()))];
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Every stored event of one agent, through the ascending paging endpoint.</summary>
    public async Task<List<JsonElement>> PageAllAsync(string agentId, int limit = 100)
    {
        var events = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var page = await GetJsonAsync($"/api/kavach/events?after={after}&agentId={Uri.EscapeDataString(agentId)}&limit={limit}");
            events.AddRange(page.GetProperty("events").EnumerateArray());
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null)
            {
                return events;
            }

            after = page.GetProperty("next").GetInt64();
        }
    }

    private static HttpClient Create(Uri baseAddress, string? token)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public void Dispose() => _http.Dispose();
}
