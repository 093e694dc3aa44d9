using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace Kavach.ServiceDefaults;

/// <summary>
/// Query parameters that carry credentials (a browser's EventSource cannot send headers, so the stream accepts
/// <c>?token=</c>; an OpenID Connect provider sends the console its authorization <c>code</c> in the query). Their values
/// never reach logs, traces or metrics.
/// </summary>
public static class SensitiveQuery
{
    public static readonly string[] Parameters = ["token", "access_token", "code", "id_token", "refresh_token"];

    public const string Redacted = "Redacted";

    public static bool Contains(QueryString query) =>
        query.HasValue && Parameters.Any(p => query.Value!.Contains(p + "=", StringComparison.OrdinalIgnoreCase));

    public static string Redact(QueryString query)
    {
        var pairs = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query.Value);
        var builder = new QueryBuilder();
        foreach (var (key, values) in pairs)
        {
            var sensitive = Parameters.Contains(key, StringComparer.OrdinalIgnoreCase);
            foreach (var value in values)
            {
                builder.Add(key, sensitive ? Redacted : value ?? "");
            }
        }

        return builder.ToQueryString().Value ?? "";
    }
}
