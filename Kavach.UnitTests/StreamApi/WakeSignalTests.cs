using Kavach.StreamApi.FanOut;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class WakeSignalTests
{
    [TestMethod]
    public async Task ASetWhileTheWriterIsBusyIsNotLost()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Set();
        await signal.WaitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsFalse(signal.WaitAsync().IsCompleted, "two sets before a wait wake it once");
    }

    [TestMethod]
    public async Task NoWakeIsLostUnderConcurrentSets()
    {
        // A producer counts up and sets; the consumer must always observe the final count without hanging.
        var signal = new WakeSignal();
        long produced = 0;
        const long total = 100_000;
        var consumer = Task.Run(async () =>
        {
            long seen = 0;
            while (seen < total)
            {
                seen = Volatile.Read(ref produced);
                if (seen < total)
                {
                    await signal.WaitAsync();
                }
            }
        });

        var producers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (true)
            {
                var next = Interlocked.Increment(ref produced);
                signal.Set();
                if (next >= total)
                {
                    return;
                }
            }
        }));

        await Task.WhenAll(producers.Append(consumer)).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
