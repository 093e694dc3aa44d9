using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kavach.AttackTests.Harness;

/// <summary>An answer read whole: status, headers and body, for an attack to judge.</summary>
public sealed record Answer(HttpStatusCode Status, string Body, HttpResponseHeaders Headers, string? MediaType)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public override string ToString() => $"{(int)Status} {Body[..Math.Min(Body.Length, 300)]}";
}

/// <summary>
/// One caller of a replica's HTTP API, with a token, optionally from a loopback address of its own (127.0.0.N), so
/// limits per client address can be attacked from "many" clients on one machine.
/// </summary>
public sealed class Api : IDisposable
{
    private readonly HttpClient _http;

    public Api(Uri baseAddress, string? token = null, IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        if (from is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public HttpClient Http => _http;

    public const string Events = "/api/kavach/events";

    public static JsonObject Event(string type, string? agentId = null, string? userId = null, string? id = null, JsonObject? data = null)
    {
        var e = new JsonObject { ["type"] = type, ["data"] = data ?? new JsonObject { ["note"] = "attack" } };
        if (agentId is not null)
        {
            e["agentId"] = agentId;
        }

        if (userId is not null)
        {
            e["userId"] = userId;
        }

        if (id is not null)
        {
            e["id"] = id;
        }

        return e;
    }

    public Task<Answer> EmitAsync(params JsonObject[] events) =>
        PostJsonAsync(Events, events.Length == 1 ? events[0].DeepClone() : new JsonArray([.. events.Select(e => e.DeepClone())]));

    /// <summary>Emits and insists on 201; the events' sequences in order.</summary>
    public async Task<long[]> EmitOkAsync(params JsonObject[] events)
    {
        var answer = await EmitAsync(events);
        Assert.AreEqual(HttpStatusCode.Created, answer.Status, answer.ToString());
        return [.. answer.Json.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64())];
    }

    public async Task<Answer> PostJsonAsync(string path, JsonNode body)
    {
        using var response = await _http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        return await ReadAsync(response);
    }

    public async Task<Answer> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return await ReadAsync(response);
    }

    /// <summary>Every event a page holds, following <c>next</c> until the end, as raw JSON elements.</summary>
    public async Task<List<JsonElement>> AllPagesAsync(string query = "", int limit = 1000)
    {
        var events = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var answer = await GetAsync($"{Events}?after={after}&limit={limit}{query}");
            Assert.AreEqual(HttpStatusCode.OK, answer.Status, answer.ToString());
            var root = answer.Json;
            events.AddRange(root.GetProperty("events").EnumerateArray().Select(e => e.Clone()));
            if (root.GetProperty("next").ValueKind == JsonValueKind.Null)
            {
                return events;
            }

            after = root.GetProperty("next").GetInt64();
        }
    }

    public static async Task<Answer> ReadAsync(HttpResponseMessage response) =>
        new(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers, response.Content.Headers.ContentType?.MediaType);

    public void Dispose() => _http.Dispose();
}
