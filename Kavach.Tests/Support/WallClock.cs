namespace Kavach.Tests.Support;

/// <summary>Waits on the wall clock that tokens' <c>iat</c> and the database's timestamps both read.</summary>
public static class WallClock
{
    /// <summary>
    /// Until the clock is in a later whole second than when called: a token issued from then on has a later <c>iat</c>
    /// (whole seconds) than anything that happened before the call. At most one second.
    /// </summary>
    public static async Task NextSecondAsync()
    {
        var second = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() <= second)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1001 - DateTimeOffset.UtcNow.Millisecond));
        }
    }
}
