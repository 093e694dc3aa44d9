using Kavach.StreamApi.Delivery;
using Kavach.UnitTests.StreamApi.Streaming;
using Kavach.UnitTests.Support;

namespace Kavach.UnitTests.StreamApi.Delivery;

[TestClass]
public sealed class DeliveryLogTests
{
    [TestMethod]
    public async Task EventsStillInTheLiveBufferAreReadWithoutTheDatabase()
    {
        var store = new FakeCommittedStream();
        var live = new FakeLiveEvents(epoch: 1, startsAfter: 0);
        live.Append([.. store.Commit(5)]);
        var log = new DeliveryLog(live, store);

        for (var after = 0L; after < 5; after++)
        {
            var read = await log.NextAsync(after, CancellationToken.None);
            Assert.AreEqual(after + 1, read.Event!.Sequence);
            Assert.IsNotNull(read.Event.Envelope);
        }

        Assert.IsNull((await log.NextAsync(5, CancellationToken.None)).Event);
        Assert.IsEmpty(store.Reads);
    }

    [TestMethod]
    public async Task DestinationsCatchingUpTogetherShareEachPageRead()
    {
        var store = new FakeCommittedStream();
        var committed = store.Commit(2 * DeliveryLog.PageSize);
        var live = new FakeLiveEvents(epoch: 1, startsAfter: committed[^1].Sequence); // the hub started after them
        var log = new DeliveryLog(live, store);
        live.Append(store.Commit());

        // A hundred destinations, all at the start of the log, each reading its next event in turn.
        var cursors = new long[100];
        for (var round = 0; round < 2 * DeliveryLog.PageSize; round++)
        {
            await Task.WhenAll(cursors.Select(async (cursor, i) =>
            {
                var read = await log.NextAsync(cursor, CancellationToken.None);
                Assert.AreEqual(cursor + 1, read.Event!.Sequence);
                Assert.IsNotNull(read.Event.Stored);
                cursors[i] = read.Event.Sequence;
            }));
        }

        Assert.HasCount(2, store.Reads, "one read per page of the log, not one per destination");
        Assert.IsTrue(cursors.All(c => c == 2 * DeliveryLog.PageSize));
        Assert.IsNotNull((await log.NextAsync(cursors[0], CancellationToken.None)).Event!.Envelope, "then the buffer");
    }

    [TestMethod]
    public async Task ARangeWithNoEventsIsPassedInOneStep()
    {
        var store = new FakeCommittedStream();
        store.Commit(10);
        store.Remove(3, 4, 5, 6, 7, 8, 9, 10);
        var live = new FakeLiveEvents(epoch: 1, startsAfter: 10);
        var log = new DeliveryLog(live, store);

        Assert.AreEqual(1, (await log.NextAsync(0, CancellationToken.None)).Event!.Sequence);
        var read = await log.NextAsync(2, CancellationToken.None);

        Assert.IsNull(read.Event);
        Assert.AreEqual(10, read.NothingThrough);
    }
}
