namespace Kavach.AttackTests.Harness;

/// <summary>Bounded waits on a condition read from outside (the database, a log), never a fixed sleep.</summary>
public static class Poll
{
    /// <summary>How long an attack waits for something the system should do within seconds.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Reads until <paramref name="done"/> holds or <see cref="Bound"/> passes; the last value read.</summary>
    public static Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done) => UntilAsync(read, done, Bound);

    /// <summary>Reads until <paramref name="done"/> holds or <paramref name="bound"/> passes; the last value read.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            value = await read();
        }

        return value;
    }

    /// <summary>
    /// Until the wall clock is in a later whole second than when called: a token issued from then on has a later
    /// <c>iat</c> (whole seconds) than anything that happened before the call. At most one second.
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
