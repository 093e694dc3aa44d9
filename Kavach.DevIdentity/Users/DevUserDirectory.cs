using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Kavach.DevIdentity.Users;

/// <summary>
/// Who may sign in, looked up afresh each time: from the users file when one is configured (so a test or an operator
/// removes a user or changes a role by editing it), otherwise from configuration.
/// </summary>
public sealed class DevUserDirectory(IOptionsMonitor<DevIdentityOptions> options, ILogger<DevUserDirectory> logger)
{
    private static readonly JsonSerializerOptions FileJson = new() { PropertyNameCaseInsensitive = true };

    public DevUser? Find(string? userName)
    {
        if (string.IsNullOrWhiteSpace(userName))
        {
            return null;
        }

        return Current().TryGetValue(userName, out var user) ? user : null;
    }

    /// <summary>The user when the password is theirs; compared in constant time over hashes.</summary>
    public DevUser? Authenticate(string? userName, string? password)
    {
        var user = Find(userName);
        var expected = user?.Password ?? options.CurrentValue.Password;
        var matches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(password ?? "")), SHA256.HashData(Encoding.UTF8.GetBytes(expected ?? "")));
        return user is not null && !string.IsNullOrEmpty(expected) && !string.IsNullOrEmpty(password) && matches ? user : null;
    }

    private Dictionary<string, DevUser> Current()
    {
        var file = options.CurrentValue.UsersFile;
        if (string.IsNullOrWhiteSpace(file))
        {
            return options.CurrentValue.Users;
        }

        try
        {
            using var stream = File.OpenRead(file);
            var read = JsonSerializer.Deserialize<UsersFile>(stream, FileJson);
            return new Dictionary<string, DevUser>(read?.Users ?? [], StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            // No file, or one half-written: nobody signs in (or refreshes) until it reads again — never the old users.
            logger.LogWarning("The users file {File} could not be read ({Error}): no user may sign in until it can.", file, e.Message);
            return [];
        }
    }

    private sealed class UsersFile
    {
        public Dictionary<string, DevUser>? Users { get; set; }
    }
}
