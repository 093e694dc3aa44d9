using System.Net.Http.Json;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Response;

/// <summary>What a responder revokes: one token (by its jti), every token of a subject, or every token of an agent.</summary>
public enum RevocationTarget
{
    Token,
    Subject,
    Agent,
}

/// <summary>
/// The stream API's <c>POST /api/kavach/revocations</c>, called with the response credential (<see cref="ResponderTokenHandler"/>),
/// naming the signed-in person as <c>onBehalfOf</c>. The API records each revocation as an event in the log.
/// </summary>
public sealed class ResponderClient(HttpClient http)
{
    public async Task<RecordedRevocation> RevokeAsync(RevocationTarget target, string value, string reason, string onBehalfOf,
        CancellationToken cancellationToken)
    {
        var request = target switch
        {
            RevocationTarget.Token => new RevocationRequest(TokenId: value),
            RevocationTarget.Subject => new RevocationRequest(Subject: value),
            _ => new RevocationRequest(AgentId: value),
        } with { Reason = reason, OnBehalfOf = onBehalfOf };
        using var response = await http.PostAsJsonAsync(KavachRoutes.Revocations, request, KavachJson.Options, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ResponseRequestException(await RefusalAsync(response, cancellationToken), (int)response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<RecordedRevocation>(KavachJson.Options, cancellationToken)
            ?? throw new ResponseRequestException("The API answered no revocation.", null);
    }

    /// <summary>The API's own problem detail: it says what to fix.</summary>
    private static async Task<string> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        KavachProblem? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<KavachProblem>(KavachJson.Options, cancellationToken);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
        {
        }

        var status = (int)response.StatusCode;
        var why = problem?.Detail ?? problem?.Title ?? response.ReasonPhrase;
        return status is 401 or 403
            ? $"The API refused the revocation ({status}): the console's response credential needs the {KavachScopes.Revoke} scope. {why}"
            : $"The API refused the revocation ({status}): {why}";
    }
}

/// <summary>A revocation the API refused, or could not be asked for; the message is meant for the page.</summary>
public sealed class ResponseRequestException(string message, int? status, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;
}
