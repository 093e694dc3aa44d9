namespace Kavach.StreamApi.Auth;

/// <summary>
/// Turns a request's bearer token into a subscriber: the seed's <c>validateToken</c>. The default validates JWTs
/// with ASP.NET Core's JWT bearer handler; register another implementation to plug in your own.
/// </summary>
public interface ITokenValidator
{
    Task<TokenCheck> ValidateAsync(HttpContext context);
}
