using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.LoadGen;

/// <summary>The bearer token a command sends: <c>--token</c>, or one minted from <c>--signing-key</c> for <c>--subject</c>.</summary>
public static class Tokens
{
    public static string From(Arguments arguments, string defaultSubject, bool emit = false)
    {
        if (arguments.OptionalText("token") is { } token)
        {
            return token;
        }

        var key = arguments.OptionalText("signing-key");
        if (key is null)
        {
            return "none"; // the floor does not read it; the API answers 401
        }

        var subject = arguments.OptionalText("subject") ?? defaultSubject;
        return KavachTokens.Issue(key, subject, emit ? [KavachScopes.Emit] : [KavachScopes.Read], TimeSpan.FromHours(4));
    }
}
