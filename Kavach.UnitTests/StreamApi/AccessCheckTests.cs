using Kavach.StreamApi.Events;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.StreamApi;

/// <summary>With tokens turned off, reading and emitting are anonymous — but revoking never is.</summary>
[TestClass]
public sealed class AccessCheckTests
{
    [TestMethod]
    [DataRow(KavachScopes.Read)]
    [DataRow(KavachScopes.Emit)]
    public async Task WithAuthOffReadingAndEmittingNeedNoToken(string scope)
    {
        var access = await Check(requireAuth: false, token: null, scope);
        Assert.IsTrue(access.Granted);
        Assert.IsTrue(access.Subscriber!.IsAnonymous);
    }

    [TestMethod]
    public async Task WithAuthOffTheRevocationApiStillNeedsAnAdminToken()
    {
        Assert.IsFalse((await Check(requireAuth: false, token: null, KavachScopes.Admin)).Granted);
        Assert.IsFalse((await Check(requireAuth: false, token: Subscriber("reader", KavachScopes.Read), KavachScopes.Admin)).Granted);

        var admin = await Check(requireAuth: false, token: Subscriber("ops", KavachScopes.Admin), KavachScopes.Admin);
        Assert.IsTrue(admin.Granted);
        Assert.AreEqual("ops", admin.Subscriber!.Id);
    }

    private static Subscriber Subscriber(string id, string scope) => new(id, new HashSet<string> { scope }, ReadGrant.Everything);

    private static Task<Access> Check(bool requireAuth, Subscriber? token, string scope) =>
        new AccessCheck(new FixedToken(token), Options.Create(new StreamOptions { RequireAuth = requireAuth }), Options.Create(new AuthOptions()))
            .CheckAsync(new DefaultHttpContext(), scope);

    /// <summary>A validator that finds the given subscriber's token, or none.</summary>
    private sealed class FixedToken(Subscriber? subscriber) : ITokenValidator
    {
        public Task<TokenCheck> ValidateAsync(HttpContext context) =>
            Task.FromResult(subscriber is null ? TokenCheck.Failed(TokenProblem.Missing) : TokenCheck.Valid(subscriber));
    }
}
