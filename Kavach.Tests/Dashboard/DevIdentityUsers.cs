using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// The development provider's users file, which the provider reads on every sign-in and refresh: the tests start it
/// with <see cref="DevUsers"/> and add, remove or re-role users of their own to watch sessions end.
/// </summary>
internal static class DevIdentityUsers
{
    private static readonly Lock Gate = new();

    public static string FilePath { get; private set; } = "";

    public static void Create(string path)
    {
        FilePath = path;
        Write(new JsonObject
        {
            [DevUsers.Admin] = User("Alice", "admin"),
            [DevUsers.Responder] = User("Bob", "responder"),
            [DevUsers.Viewer] = User("Carol", "viewer"),
        });
    }

    public static void Set(string userName, string displayName, string role) =>
        Change(users => users[userName] = User(displayName, role));

    public static void Remove(string userName) => Change(users => users.Remove(userName));

    private static JsonObject User(string name, string role) => new() { ["Name"] = name, ["Roles"] = new JsonArray(role) };

    private static void Change(Action<JsonObject> change)
    {
        lock (Gate)
        {
            var users = (JsonObject)JsonNode.Parse(File.ReadAllText(FilePath))!["Users"]!;
            change(users);
            Write((JsonObject)users.DeepClone());
        }
    }

    /// <summary>Whole or not at all: a new file moved over the old, so the provider never reads half of one.</summary>
    private static void Write(JsonObject users)
    {
        var next = FilePath + ".next";
        File.WriteAllText(next, new JsonObject { ["Users"] = users }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(next, FilePath, overwrite: true);
    }
}
