using System.Collections.Concurrent;
using System.Text.Json;
using Bunit;
using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Components.Pages;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Response;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// The Respond page (bUnit) against a small real HTTP server standing in for the API's token endpoint and revocations:
/// the response credential asks for <c>events:revoke</c> alone, a revocation needs a reason and a confirmation, posts
/// who it is on behalf of, and shows the record's sequence; a refusal shows the API's reason; without the policy
/// nothing is posted whatever the markup offered.
/// </summary>
[TestClass]
public sealed class RespondPageTests
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    [TestMethod]
    public async Task AResponderReviewsConfirmsAndSeesTheRecordOfTheRevocation()
    {
        await using var api = await RevocationsApi.StartAsync();
        await using var context = Context(api, policies: [ConsolePolicies.Respond]);
        var cut = context.Render<Respond>();

        await cut.Find("[data-testid=respond-target]").ChangeAsync(new ChangeEventArgs { Value = nameof(RevocationTarget.Agent) });
        await cut.Find("[data-testid=respond-value]").ChangeAsync(new ChangeEventArgs { Value = " agent-7 " });
        await cut.Find("[data-testid=respond-form]").SubmitAsync();
        StringAssert.Contains(cut.Find("[data-testid=respond-error]").TextContent, "reason");
        Assert.IsEmpty(api.Revocations, "nothing is sent without a reason");

        await cut.Find("[data-testid=respond-reason]").ChangeAsync(new ChangeEventArgs { Value = "leaked key" });
        await cut.Find("[data-testid=respond-form]").SubmitAsync();
        var confirm = cut.Find("[data-testid=respond-confirm]");
        StringAssert.Contains(confirm.TextContent, "every token of agent agent-7");
        StringAssert.Contains(confirm.TextContent, "leaked key");
        Assert.AreEqual("bob", cut.Find("[data-testid=respond-who]").TextContent);
        Assert.IsEmpty(api.Revocations, "nothing is sent before the confirmation");

        await cut.Find("[data-testid=respond-confirm-button]").ClickAsync();
        cut.WaitForAssertion(() => StringAssert.Contains(cut.Find("[data-testid=respond-result]").TextContent, "#4812"), WaitTimeout);
        Assert.AreEqual("4812", cut.Find("[data-testid=respond-result]").GetAttribute("data-sequence"));
        var (authorization, body) = api.Revocations.Single();
        Assert.AreEqual("Bearer responder-token", authorization);
        Assert.AreEqual("agent-7", body.GetProperty("agentId").GetString());
        Assert.AreEqual("leaked key", body.GetProperty("reason").GetString());
        Assert.AreEqual("bob", body.GetProperty("onBehalfOf").GetString());
        Assert.AreEqual("client_id=kavach-console-responder&scope=events:revoke", api.TokenRequests.Single());
    }

    [TestMethod]
    public async Task ARefusalShowsTheApisReason()
    {
        await using var api = await RevocationsApi.StartAsync();
        await using var context = Context(api, policies: [ConsolePolicies.Respond]);
        var cut = context.Render<Respond>();

        await cut.Find("[data-testid=respond-value]").ChangeAsync(new ChangeEventArgs { Value = "refuse-me" });
        await cut.Find("[data-testid=respond-reason]").ChangeAsync(new ChangeEventArgs { Value = "test" });
        await cut.Find("[data-testid=respond-form]").SubmitAsync();
        await cut.Find("[data-testid=respond-confirm-button]").ClickAsync();

        cut.WaitForAssertion(() => StringAssert.Contains(cut.Find("[data-testid=respond-error]").TextContent, "'subject': Must be 1 to 200 characters."), WaitTimeout);
        Assert.IsEmpty(cut.FindAll("[data-testid=respond-result]"));
    }

    [TestMethod]
    public async Task WithoutTheRespondPolicyNothingIsPosted()
    {
        await using var api = await RevocationsApi.StartAsync();
        await using var context = Context(api, policies: [ConsolePolicies.View]);
        var cut = context.Render<Respond>();

        await cut.Find("[data-testid=respond-value]").ChangeAsync(new ChangeEventArgs { Value = "alice" });
        await cut.Find("[data-testid=respond-reason]").ChangeAsync(new ChangeEventArgs { Value = "test" });
        await cut.Find("[data-testid=respond-form]").SubmitAsync();
        await cut.Find("[data-testid=respond-confirm-button]").ClickAsync();

        cut.WaitForAssertion(() => StringAssert.Contains(cut.Find("[data-testid=respond-error]").TextContent, "Only a responder"), WaitTimeout);
        Assert.IsEmpty(api.Revocations);
        Assert.IsEmpty(api.TokenRequests, "not even a token is asked for");
    }

    private static BunitContext Context(RevocationsApi api, string[] policies)
    {
        var context = new BunitContext();
        var authorization = context.AddAuthorization();
        authorization.SetAuthorized("bob");
        authorization.SetPolicies(policies);
        var options = Microsoft.Extensions.Options.Options.Create(new StreamApiOptions
        {
            BaseAddress = api.Address,
            ResponderClientId = "kavach-console-responder",
            ResponderClientSecret = "responder-secret-0123456789",
        });
        context.Services.AddSingleton(options);
        context.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        context.Services.AddHttpClient(Kavach.Dashboard.Services.Upstream.ServiceTokenProvider.HttpClientName, c => c.BaseAddress = api.Address);
        context.Services.AddResponse(api.Address);
        return context;
    }

    /// <summary>The API's token endpoint and revocations as the console calls them, recording what it was sent.</summary>
    private sealed class RevocationsApi : IAsyncDisposable
    {
        private FakeApi _server = default!;

        public ConcurrentQueue<string> TokenRequests { get; } = new();

        public ConcurrentQueue<(string? Authorization, JsonElement Body)> Revocations { get; } = new();

        public Uri Address => _server.Address;

        public static async Task<RevocationsApi> StartAsync()
        {
            var api = new RevocationsApi();
            api._server = await FakeApi.StartAsync(api.Map);
            return api;
        }

        private void Map(WebApplication app)
        {
            app.MapPost(KavachRoutes.Tokens, async (HttpRequest request) =>
            {
                var form = await request.ReadFormAsync();
                TokenRequests.Enqueue($"client_id={form["client_id"]}&scope={form["scope"]}");
                return Results.Json(new Dictionary<string, object> { ["access_token"] = "responder-token", ["expires_in"] = 900 });
            });
            app.MapPost(KavachRoutes.Revocations, async (HttpRequest request) =>
            {
                var body = (await JsonDocument.ParseAsync(request.Body)).RootElement.Clone();
                Revocations.Enqueue((request.Headers.Authorization.ToString(), body));
                if (body.TryGetProperty("subject", out var subject) && subject.GetString() == "refuse-me")
                {
                    return Results.Problem(statusCode: 400, title: "Bad request", detail: "'subject': Must be 1 to 200 characters.");
                }

                var value = body.GetProperty("agentId").GetString()!;
                return Results.Json(new RecordedRevocation(12, "agent", value, body.GetProperty("reason").GetString(), "kavach-console-responder",
                    body.GetProperty("onBehalfOf").GetString(), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(7), "revocation-1", 4812),
                    KavachJson.Options, statusCode: 201);
            });
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
