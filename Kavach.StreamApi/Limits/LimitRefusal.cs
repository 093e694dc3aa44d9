using System.Globalization;
using System.Threading.RateLimiting;
using Kavach.ServiceDefaults.Limits;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Limits;

/// <summary>How a request is refused: which of the endpoint's limits it hit.</summary>
public enum LimitKind
{
    PerAddress,
    PerSubject,
    Concurrency,
    VerifyBudget,
}

/// <summary>
/// The one answer of every request limit: 429 with <c>Retry-After</c> and a problem body naming the limit, its setting
/// (the <c>limit</c> member) and when to retry (<c>retryAfter</c>, seconds). Counted in
/// <c>kavach.api.requests.limited</c>.
/// </summary>
public static class LimitRefusal
{
    public const string LimitField = "limit";
    public const string RetryAfterField = "retryAfter";

    public static ProblemHttpResult Create(HttpContext context, LimitedEndpoint endpoint, LimitKind kind, TimeSpan retryAfter, long? asked = null)
    {
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value;
        context.RequestServices.GetRequiredService<StreamMetrics>().Limited(endpoint.Tag(), kind.Tag());
        var (key, limit) = endpoint.In(options);
        var what = endpoint.Noun();
        var (setting, title, detail) = kind switch
        {
            LimitKind.PerAddress => ($"{key}:PerAddress", $"Too many {what} from this address",
                $"This replica takes {limit.PerAddress} {what} {Per(limit.Window)} from one client address."),
            LimitKind.PerSubject when !endpoint.HasTokenSubject() => ($"{key}:PerSubject", $"Too many {what} for this client",
                $"This replica issues {limit.PerSubject} tokens {Per(limit.Window)} to one service client."),
            LimitKind.PerSubject => ($"{key}:PerSubject", $"Too many {what} for this token's subject",
                $"This replica takes {limit.PerSubject} {what} {Per(limit.Window)} for one token subject."),
            LimitKind.Concurrency => ($"{key}:Concurrent", $"Too many {what} at once",
                $"This replica serves {((ReadLimit)limit).Concurrent} {what} at once, with {((ReadLimit)limit).Queue} more waiting; all places are taken."),
            _ => ($"{key}:EventsPerSubject", "Verification budget used up",
                $"This replica verifies {((VerifyLimit)limit).EventsPerSubject} events {Per(limit.Window)} for one token subject, " +
                $"and this range holds {asked}. Verify what is new since your last check (from=), not the whole chain again."),
        };

        var seconds = RetryAfter.Set(context.Response, retryAfter);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: title, detail: $"{detail} Retry in {seconds} s.",
            extensions: new Dictionary<string, object?> { [LimitField] = setting, [RetryAfterField] = seconds });
    }

    /// <summary>The refusal for a lease a limiter did not grant, with the limiter's own estimate of when to retry.</summary>
    public static ProblemHttpResult Create(HttpContext context, LimitedEndpoint endpoint, LimitKind kind, RateLimitLease lease) =>
        Create(context, endpoint, kind, RetryAfter.Of(lease, TimeSpan.FromSeconds(1)));

    private static string Tag(this LimitKind kind) => kind switch
    {
        LimitKind.PerAddress => "per_address",
        LimitKind.PerSubject => "per_subject",
        LimitKind.Concurrency => "concurrency",
        _ => "verify_budget",
    };

    private static string Per(TimeSpan window) => window switch
    {
        { TotalDays: 1 } => "per day",
        { TotalHours: 1 } => "per hour",
        { TotalMinutes: 1 } => "per minute",
        { TotalSeconds: 1 } => "per second",
        _ when window.TotalMinutes == Math.Floor(window.TotalMinutes) => $"per {window.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes",
        _ => $"per {window.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds",
    };
}
