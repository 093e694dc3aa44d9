using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.StreamApi;

/// <summary>Per-subject limits and the verification budget: who is counted, what a refusal says.</summary>
[TestClass]
public sealed class SubjectLimitsTests
{
    [TestMethod]
    public void ASubjectOverItsAllowanceGetsA429NamingTheSettingAndOthersDoNot()
    {
        var (limits, context) = Create(new LimitsOptions { Pages = new ReadLimit { PerSubject = 3, Window = TimeSpan.FromMinutes(1) } });
        for (var i = 0; i < 3; i++)
        {
            Assert.IsNull(limits.Check(context, LimitedEndpoint.Pages, "alice"));
        }

        var refused = limits.Check(context, LimitedEndpoint.Pages, "alice");
        Assert.IsNotNull(refused);
        Assert.AreEqual(StatusCodes.Status429TooManyRequests, refused.StatusCode);
        Assert.AreEqual("Kavach:Limits:Pages:PerSubject", refused.ProblemDetails.Extensions[LimitRefusal.LimitField]);
        Assert.AreEqual("Too many pages for this token's subject", refused.ProblemDetails.Title);
        StringAssert.Contains(refused.ProblemDetails.Detail, "3 pages per minute for one token subject");
        // One token back every 20 s.
        Assert.AreEqual("20", context.Response.Headers.RetryAfter.ToString());
        Assert.AreEqual(20, refused.ProblemDetails.Extensions[LimitRefusal.RetryAfterField]);

        Assert.IsNull(limits.Check(context, LimitedEndpoint.Pages, "bob"), "another subject has its own allowance");
        Assert.IsNull(limits.Check(context, LimitedEndpoint.Replay, "alice"), "and each endpoint its own");
    }

    [TestMethod]
    public void ZeroIsNoLimit()
    {
        var (limits, context) = Create(new LimitsOptions { Emit = new RateLimit { PerSubject = 0 } });
        for (var i = 0; i < 10_000; i++)
        {
            Assert.IsNull(limits.Check(context, LimitedEndpoint.Emit, "ci"));
        }
    }

    [TestMethod]
    public void VerificationIsChargedItsWholeRangeUpFront()
    {
        var (limits, context) = Create(new LimitsOptions
        {
            Verify = new VerifyLimit { EventsPerSubject = 1000, Window = TimeSpan.FromMinutes(10), Concurrent = 1 },
        });
        Assert.IsNull(limits.ChargeVerification(context, "auditor", 600));
        var refused = limits.ChargeVerification(context, "auditor", 600);
        Assert.IsNotNull(refused);
        Assert.AreEqual("Kavach:Limits:Verify:EventsPerSubject", refused.ProblemDetails.Extensions[LimitRefusal.LimitField]);
        StringAssert.Contains(refused.ProblemDetails.Detail, "this range holds 600");
        // 200 events short at 1000 per 10 minutes: two minutes.
        Assert.AreEqual(120, refused.ProblemDetails.Extensions[LimitRefusal.RetryAfterField]);

        Assert.IsNull(limits.ChargeVerification(context, "auditor", 400), "what is left can still be used");
        Assert.IsNull(limits.ChargeVerification(context, "console", 1000), "another subject has its own budget");
    }

    private static (SubjectLimits Limits, HttpContext Context) Create(LimitsOptions options)
    {
        var services = new ServiceCollection().AddMetrics().AddSingleton<StreamMetrics>().AddSingleton(Options.Create(options)).BuildServiceProvider();
        return (new SubjectLimits(Options.Create(options)), new DefaultHttpContext { RequestServices = services });
    }
}
