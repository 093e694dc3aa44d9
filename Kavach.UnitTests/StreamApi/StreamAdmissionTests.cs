using Kavach.StreamApi.Options;
using Kavach.StreamApi.Streaming;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class StreamAdmissionTests
{
    private static StreamAdmission With(int limit, int perAddress = 0, int perSubject = 0) =>
        new(Microsoft.Extensions.Options.Options.Create(new StreamOptions
        {
            MaxConnections = limit,
            MaxConnectionsPerAddress = perAddress,
            MaxConnectionsPerSubject = perSubject,
        }));

    [TestMethod]
    public void ConcurrentAdmissionsNeverExceedTheLimit()
    {
        var admission = With(100);
        var admitted = 0;

        Parallel.For(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            if (admission.TryAdmit($"10.0.0.{i % 7}", $"subject-{i % 5}") == Admission.Admitted)
            {
                Interlocked.Increment(ref admitted);
            }
        });

        Assert.AreEqual(100, admitted);
        Assert.AreEqual(100, admission.Open);
    }

    [TestMethod]
    public void ConcurrentAdmissionsNeverExceedThePerAddressOrPerSubjectLimits()
    {
        var admission = With(1000, perAddress: 10, perSubject: 3);
        var admittedPerSubject = new int[20];

        Parallel.For(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var subject = i % 20;
            if (admission.TryAdmit($"10.0.0.{i % 4}", $"subject-{subject}") == Admission.Admitted)
            {
                Interlocked.Increment(ref admittedPerSubject[subject]);
            }
        });

        Assert.IsTrue(admittedPerSubject.All(n => n <= 3), string.Join(",", admittedPerSubject));
        Assert.IsLessThanOrEqualTo(40, admission.Open, "four addresses of at most ten each");
    }

    [TestMethod]
    public void ReleasedPlacesCanBeTakenAgain()
    {
        var admission = With(1);
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit("a", "s"));
        Assert.AreEqual(Admission.Full, admission.TryAdmit("b", "t"));
        admission.Release("a", "s");
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit("b", "t"));
    }

    [TestMethod]
    public void OneAddressOrOneSubjectCannotTakeEveryPlace()
    {
        var admission = With(100, perAddress: 2, perSubject: 3);
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit("10.0.0.1", "alice"));
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit("10.0.0.1", "bob"));
        Assert.AreEqual(Admission.AddressFull, admission.TryAdmit("10.0.0.1", "carol"));
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit("10.0.0.2", "alice"));
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit("10.0.0.3", "alice"));
        Assert.AreEqual(Admission.SubjectFull, admission.TryAdmit("10.0.0.4", "alice"));
        Assert.AreEqual(4, admission.Open, "refused connects take no place");
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit(null, null), "unknown address and anonymous subject are only counted globally");

        admission.Release("10.0.0.1", "alice");
        Assert.AreEqual(Admission.Admitted, admission.TryAdmit("10.0.0.1", "alice"));
    }

    [TestMethod]
    public void ClosedAdmissionRefusesEveryone()
    {
        var admission = With(10);
        admission.Close();
        Assert.AreEqual(Admission.Closed, admission.TryAdmit("a", "s"));
        Assert.AreEqual(0, admission.Open);
    }
}
