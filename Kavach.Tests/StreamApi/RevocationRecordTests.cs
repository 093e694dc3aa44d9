using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;
using Kavach.Tests.Support;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// The response credential (<c>events:revoke</c>) against the running system: it revokes a token, a subject and an agent,
/// each revocation is an event in the log naming who asked, for whom and why — and a revocation and its record are
/// stored together or not at all.
/// </summary>
[TestClass]
public sealed class RevocationRecordTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static IReadOnlyList<Uri> Replicas => KavachSystem.StreamApiReplicas;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static async Task<(HttpStatusCode Status, RecordedRevocation? Answer, string Body)> RevokeAsync(Uri replica, RevocationRequest request,
        string? token = null)
    {
        using var client = new EventsClient(replica, token ?? Tokens.Revoker("console-responder"));
        using var response = await client.Http.PostAsJsonAsync(KavachRoutes.Revocations, request, KavachJson.Options);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonSerializer.Deserialize<RecordedRevocation>(body, KavachJson.Options) : null, body);
    }

    private static async Task<JsonElement> StoredEventAsync(long sequence)
    {
        using var reader = new EventsClient(Replicas[1], Tokens.Reader("auditor"));
        var page = await reader.GetJsonAsync($"/api/kavach/events?after={sequence - 1}&limit=1");
        var stored = page.GetProperty("events")[0];
        Assert.AreEqual(sequence, stored.GetProperty("sequence").GetInt64());
        return stored;
    }

    private static void AssertRecorded(JsonElement stored, string type, string action, string target, string reason, string by, string onBehalfOf)
    {
        Assert.AreEqual(type, stored.GetProperty("type").GetString());
        var data = stored.GetProperty("data");
        Assert.AreEqual(action, data.GetProperty("action").GetString());
        Assert.AreEqual(target, data.GetProperty("target").GetString());
        Assert.AreEqual(reason, data.GetProperty("reason").GetString());
        Assert.AreEqual(by, data.GetProperty("by").GetString());
        Assert.AreEqual(onBehalfOf, data.GetProperty("onBehalfOf").GetString());
    }

    [TestMethod]
    public async Task TheRevokeScopeRevokesATokenAndRecordsWhoForWhomAndWhy()
    {
        var token = Tokens.Reader(Unique("holder"));
        var jti = new JsonWebToken(token).Id;
        await using var stream = await SseClient.ConnectAsync(Replicas[0], token);
        await stream.NextAsync();

        var (status, answer, body) = await RevokeAsync(Replicas[1], new RevocationRequest(TokenId: jti, Reason: "phished laptop", OnBehalfOf: "bob"));
        Assert.AreEqual(HttpStatusCode.Created, status, body);
        Assert.AreEqual("token", answer!.Kind);
        Assert.AreEqual("console-responder", answer.RevokedBy);
        Assert.IsNotNull(answer.Id);

        Assert.AreEqual("TOKEN_REVOKED", (await stream.ReadToEndAsync(Generous)).Last().Json.GetProperty("code").GetString());
        var stored = await StoredEventAsync(answer.Sequence);
        Assert.AreEqual(answer.EventId, stored.GetProperty("id").GetString());
        AssertRecorded(stored, KavachEventTypes.Audit, "token.revoked", jti, "phished laptop", "console-responder", "bob");
    }

    [TestMethod]
    public async Task TheRevokeScopeRevokesASubjectAndAnAgentEachRecordedInTheLog()
    {
        var subject = Unique("subject");
        var agent = Unique("agent");
        var subjectToken = Tokens.Reader(subject);
        var agentToken = Tokens.Reader(agent, new TokenGrants(SubjectKind: "agent"));
        await using var subjectStream = await SseClient.ConnectAsync(Replicas[0], subjectToken);
        await using var agentStream = await SseClient.ConnectAsync(Replicas[1], agentToken);
        await subjectStream.NextAsync();
        await agentStream.NextAsync();

        var (subjectStatus, revokedSubject, subjectBody) = await RevokeAsync(Replicas[0],
            new RevocationRequest(Subject: subject, Reason: "account takeover", OnBehalfOf: "bob"));
        var (agentStatus, revokedAgent, agentBody) = await RevokeAsync(Replicas[1],
            new RevocationRequest(AgentId: agent, Reason: "leaked key", OnBehalfOf: "alice"));
        Assert.AreEqual(HttpStatusCode.Created, subjectStatus, subjectBody);
        Assert.AreEqual(HttpStatusCode.Created, agentStatus, agentBody);

        Assert.AreEqual("TOKEN_REVOKED", (await subjectStream.ReadToEndAsync(Generous)).Last().Json.GetProperty("code").GetString());
        Assert.AreEqual("TOKEN_REVOKED", (await agentStream.ReadToEndAsync(Generous)).Last().Json.GetProperty("code").GetString());
        AssertRecorded(await StoredEventAsync(revokedSubject!.Sequence), KavachEventTypes.Audit, "subject.revoked", subject,
            "account takeover", "console-responder", "bob");
        var agentRecord = await StoredEventAsync(revokedAgent!.Sequence);
        AssertRecorded(agentRecord, KavachEventTypes.AgentRevoked, KavachEventTypes.AgentRevoked, agent, "leaked key", "console-responder", "alice");
        Assert.AreEqual(agent, agentRecord.GetProperty("agentId").GetString());

        foreach (var replica in Replicas)
        {
            await using var again = await SseClient.ConnectAsync(replica, agentToken);
            Assert.AreEqual(HttpStatusCode.Unauthorized, again.Response.StatusCode, "the revoked agent's token is refused everywhere");
        }
    }

    [TestMethod]
    public async Task TheRevokeScopeMustSayWhyAndNameExactlyOneTarget()
    {
        var subject = Unique("subject");
        foreach (var request in new[]
                 {
                     new RevocationRequest(Subject: subject),
                     new RevocationRequest(Subject: subject, Reason: "  "),
                     new RevocationRequest(Subject: subject, AgentId: subject, Reason: "two"),
                     new RevocationRequest(Reason: "none"),
                 })
        {
            var (status, _, body) = await RevokeAsync(Replicas[0], request);
            Assert.AreEqual(HttpStatusCode.BadRequest, status, body);
        }

        await using var stream = await SseClient.ConnectAsync(Replicas[0], Tokens.Reader(subject));
        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode, "nothing was revoked");
    }

    [TestMethod]
    public async Task ARevocationThatCannotBeStoredLeavesNoEventBehind()
    {
        var subject = Unique("atomic-revocation");
        await using var database = NpgsqlDataSource.Create((await KavachSystem.DatabaseConnectionStringAsync())!);
        var function = $"kavach_test_refuse_{Guid.NewGuid():N}";
        await ExecuteAsync(database, $"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.value = '{subject}' THEN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '22023'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {function} BEFORE INSERT ON kavach_revocations FOR EACH ROW EXECUTE FUNCTION {function}();
            """);
        try
        {
            var (status, _, body) = await RevokeAsync(Replicas[0], new RevocationRequest(Subject: subject, Reason: "atomicity", OnBehalfOf: "bob"));
            Assert.IsFalse(status is HttpStatusCode.Created, $"the revocation failed, yet the API answered {status}: {body}");
        }
        finally
        {
            await ExecuteAsync(database, $"DROP TRIGGER {function} ON kavach_revocations; DROP FUNCTION {function}();");
        }

        Assert.AreEqual(0L, await CountAsync(database, "SELECT count(*) FROM kavach_stream_events WHERE body LIKE '%' || $1 || '%'", subject),
            "the record of a revocation that was not stored must not be in the log");
        Assert.AreEqual(0L, await CountAsync(database, "SELECT count(*) FROM kavach_revocations WHERE value = $1", subject));
        await using var stream = await SseClient.ConnectAsync(Replicas[1], Tokens.Reader(subject));
        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode, "nothing was revoked");
    }

    [TestMethod]
    public async Task ARecordThatCannotBeStoredLeavesNoRevocationBehind()
    {
        var subject = Unique("atomic-record");
        await using var database = NpgsqlDataSource.Create((await KavachSystem.DatabaseConnectionStringAsync())!);
        var function = $"kavach_test_refuse_{Guid.NewGuid():N}";
        await ExecuteAsync(database, $"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.body LIKE '%{subject}%' THEN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '22023'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {function} BEFORE INSERT ON kavach_stream_events FOR EACH ROW EXECUTE FUNCTION {function}();
            """);
        try
        {
            var (status, _, body) = await RevokeAsync(Replicas[1], new RevocationRequest(Subject: subject, Reason: "atomicity", OnBehalfOf: "bob"));
            Assert.IsFalse(status is HttpStatusCode.Created, $"the record failed, yet the API answered {status}: {body}");
        }
        finally
        {
            await ExecuteAsync(database, $"DROP TRIGGER {function} ON kavach_stream_events; DROP FUNCTION {function}();");
        }

        Assert.AreEqual(0L, await CountAsync(database, "SELECT count(*) FROM kavach_revocations WHERE value = $1", subject),
            "a revocation whose record is not in the log must not be in force");
        await using var stream = await SseClient.ConnectAsync(Replicas[0], Tokens.Reader(subject));
        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode, "nothing was revoked");
    }

    private static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(NpgsqlDataSource database, string sql, string value)
    {
        await using var command = database.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
