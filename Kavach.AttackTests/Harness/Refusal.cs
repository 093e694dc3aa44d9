using System.Net;
using System.Text.Json;

namespace Kavach.AttackTests.Harness;

/// <summary>What a 429 must carry: <c>Retry-After</c>, and a problem body naming the limit's setting and when to retry.</summary>
public static class Refusal
{
    /// <summary>The setting the refusal names (its <c>limit</c> member), after checking the rest of its shape.</summary>
    public static string LimitOf(Answer answer)
    {
        Assert.AreEqual(HttpStatusCode.TooManyRequests, answer.Status, answer.ToString());
        Assert.AreEqual("application/problem+json", answer.MediaType, answer.ToString());
        var retryAfter = answer.Headers.RetryAfter?.Delta;
        Assert.IsTrue(retryAfter >= TimeSpan.FromSeconds(1), $"Retry-After is missing or below 1 s: {answer}");
        var problem = answer.Json;
        Assert.AreEqual(429, problem.GetProperty("status").GetInt32());
        Assert.IsFalse(string.IsNullOrEmpty(problem.GetProperty("title").GetString()), answer.ToString());
        StringAssert.Contains(problem.GetProperty("detail").GetString(), "Retry in", answer.ToString());
        Assert.AreEqual((int)retryAfter!.Value.TotalSeconds, problem.GetProperty("retryAfter").GetInt32(), answer.ToString());
        return problem.GetProperty("limit").GetString() ?? throw new AssertFailedException($"No 'limit' in {answer}");
    }

    /// <summary>The limit a 429 names, or the status when it is no 429 (for the findings table).</summary>
    public static string Describe(Answer answer)
    {
        if (answer.Status != HttpStatusCode.TooManyRequests)
        {
            return ((int)answer.Status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        try
        {
            return $"429 {answer.Json.GetProperty("limit").GetString()} (Retry-After {answer.Headers.RetryAfter?.Delta?.TotalSeconds} s)";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "429 without a problem body";
        }
    }
}
