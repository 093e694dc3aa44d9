using Kavach.StreamApi.Options;
using Kavach.StreamApi.Streaming;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class StreamAdmissionTests
{
    private static StreamAdmission WithLimit(int limit) =>
        new(Microsoft.Extensions.Options.Options.Create(new StreamOptions { MaxConnections = limit }));

    [TestMethod]
    public void ConcurrentAdmissionsNeverExceedTheLimit()
    {
        var admission = WithLimit(100);
        var admitted = 0;

        Parallel.For(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            if (admission.TryAdmit() == Admission.Admitted)
            {
                Interlocked.Increment(ref admitted);
            }
        });

        Assert.AreEqual(100, admitted);
        Assert.AreEqual(100, admission.Open);
    }

    [TestMethod]
    public void ReleasedPlacesCanBeTakenAgain()
    {
        var admission = WithLimit(1);
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit());
        Assert.AreEqual(Admission.Full, admission.TryAdmit());
        admission.Release();
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit());
    }

    [TestMethod]
    public void ClosedAdmissionRefusesEveryone()
    {
        var admission = WithLimit(10);
        admission.Close();
        Assert.AreEqual(Admission.Closed, admission.TryAdmit());
        Assert.AreEqual(0, admission.Open);
    }
}
