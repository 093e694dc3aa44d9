using System.Net;
using System.Text.Json;

namespace Kavach.AttackTests.Harness;

/// <summary>A <c>GET /api/kavach/events/verify</c> answer in a few words, for the findings table.</summary>
public static class ChainVerdict
{
    public static string Of(Answer answer)
    {
        if (answer.Status != HttpStatusCode.OK)
        {
            return $"{(int)answer.Status}";
        }

        var root = answer.Json;
        return root.TryGetProperty("break", out var broken) && broken.ValueKind == JsonValueKind.Object
            ? $"valid:false, {broken.GetProperty("kind").GetString()} at #{broken.GetProperty("sequence").GetInt64()}"
            : $"valid:true, {root.GetProperty("checked").GetInt64()} checked, {root.GetProperty("unchained").GetInt64()} unchained";
    }
}
