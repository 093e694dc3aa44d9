using Kavach.DevIdentity;
using Kavach.DevIdentity.SignIn;
using Kavach.DevIdentity.Users;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.DevIdentity;

/// <summary>
/// The development provider's users: read afresh from the users file on every look-up (so an edit removes a user or
/// changes a role at once), passwords compared whole, and a file that cannot be read lets nobody in.
/// </summary>
[TestClass]
public sealed class DevUserDirectoryTests
{
    private string _file = "";

    [TestInitialize]
    public void CreateFile() => _file = Path.Combine(Path.GetTempPath(), $"kavach-dev-users-{Guid.NewGuid():N}.json");

    [TestCleanup]
    public void DeleteFile() => File.Delete(_file);

    [TestMethod]
    public void AnEditToTheUsersFileCountsAtTheNextLookUp()
    {
        File.WriteAllText(_file, """{"Users":{"alice":{"Name":"Alice","Roles":["admin"]},"bob":{"Roles":["responder"]}}}""");
        var users = Directory();
        CollectionAssert.AreEqual(new[] { "admin" }, users.Find("alice")!.Roles);

        File.WriteAllText(_file, """{"Users":{"alice":{"Name":"Alice","Roles":["viewer"]}}}""");
        CollectionAssert.AreEqual(new[] { "viewer" }, users.Find("alice")!.Roles);
        Assert.IsNull(users.Find("bob"), "removed");
    }

    [TestMethod]
    public void TheSharedPasswordOrTheUsersOwnOpensAndNothingElse()
    {
        File.WriteAllText(_file, """{"Users":{"alice":{"Roles":["admin"]},"dave":{"Roles":["viewer"],"Password":"daves-own-password"}}}""");
        var users = Directory();

        Assert.IsNotNull(users.Authenticate("alice", "the-shared-password"));
        Assert.IsNull(users.Authenticate("alice", "the-shared-passwor"));
        Assert.IsNull(users.Authenticate("alice", ""));
        Assert.IsNull(users.Authenticate("Alice", "the-shared-password"), "user names are exact");
        Assert.IsNull(users.Authenticate("mallory", "the-shared-password"), "no such user");
        Assert.IsNotNull(users.Authenticate("dave", "daves-own-password"));
        Assert.IsNull(users.Authenticate("dave", "the-shared-password"), "a user's own password replaces the shared one");
    }

    [TestMethod]
    public void WithoutAPasswordNobodySignsIn()
    {
        File.WriteAllText(_file, """{"Users":{"alice":{"Roles":["admin"]}}}""");
        Assert.IsNull(Directory(password: null).Authenticate("alice", ""));
        Assert.IsNull(Directory(password: "").Authenticate("alice", ""));
    }

    [TestMethod]
    public void AMissingOrBrokenFileLetsNobodyIn()
    {
        var users = Directory();
        Assert.IsNull(users.Find("alice"), "no file");
        File.WriteAllText(_file, """{"Users":{"alice":""");
        Assert.IsNull(users.Authenticate("alice", "the-shared-password"), "half a file");
    }

    [TestMethod]
    public void WithoutAFileTheConfiguredUsersCount()
    {
        var options = new DevIdentityOptions { Password = "the-shared-password" };
        options.Users["carol"] = new DevUser { Roles = ["viewer"] };
        var users = new DevUserDirectory(new Monitor(options), NullLogger<DevUserDirectory>.Instance);
        Assert.IsNotNull(users.Authenticate("carol", "the-shared-password"));
    }

    [TestMethod]
    [DataRow("/connect/authorize?client_id=kavach-console&state=x", "/connect/authorize?client_id=kavach-console&state=x")]
    [DataRow("/connect/authorize", "/connect/authorize")]
    [DataRow("/connect/authorizeevil", "/")]
    [DataRow("https://evil.example/connect/authorize", "/")]
    [DataRow("//evil.example/connect/authorize", "/")]
    [DataRow(null, "/")]
    public void TheLoginFormReturnsOnlyToTheAuthorizationEndpoint(string? returnUrl, string expected) =>
        Assert.AreEqual(expected, LoginPage.SafeReturnUrl(returnUrl));

    private DevUserDirectory Directory(string? password = "the-shared-password") =>
        new(new Monitor(new DevIdentityOptions { UsersFile = _file, Password = password }), NullLogger<DevUserDirectory>.Instance);

    private sealed class Monitor(DevIdentityOptions options) : IOptionsMonitor<DevIdentityOptions>
    {
        public DevIdentityOptions CurrentValue => options;

        public DevIdentityOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<DevIdentityOptions, string?> listener) => null;
    }
}
