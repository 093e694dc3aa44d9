using Kavach.StreamApi.Persistence;
using Npgsql;

namespace Kavach.UnitTests.StreamApi;

/// <summary>The three questions about a failure of PostgreSQL, and the answers that differ between them.</summary>
[TestClass]
public sealed class DatabaseFailuresTests
{
    [TestMethod]
    [DataRow("unreachable", true, true, true)]
    [DataRow("timeout", true, true, true)]
    [DataRow("broken connection", true, true, false)]
    [DataRow("io", false, false, true)]
    [DataRow("08006", true, true, false)]
    [DataRow("57014", true, true, false)]
    [DataRow("22P02", true, false, false)]
    [DataRow("42P01", true, false, false)]
    [DataRow("our bug", false, false, false)]
    public void EachQuestionHasItsOwnAnswer(string failure, bool isFailure, bool isUnavailable, bool leftCommitUnknown)
    {
        var e = Failure(failure);

        Assert.AreEqual(isFailure, DatabaseFailures.IsFailure(e), "a loop skips its turn");
        Assert.AreEqual(isUnavailable, DatabaseFailures.IsUnavailable(e), "a request may succeed later");
        Assert.AreEqual(leftCommitUnknown, DatabaseFailures.LeftCommitUnknown(e), "a commit may have happened");
    }

    [TestMethod]
    [DataRow("22P02", true)]
    [DataRow("22001", true)]
    [DataRow("54000", true)]
    [DataRow("23505", false)]
    [DataRow("08006", false)]
    public void OnlyDataExceptionsAndProgramLimitsAreTheValuesFault(string sqlState, bool refused) =>
        Assert.AreEqual(refused, DatabaseFailures.IsRefusedValue(new PostgresException("m", "ERROR", "ERROR", sqlState)));

    private static Exception Failure(string failure) => failure switch
    {
        "unreachable" => new NpgsqlException("connection refused"),
        "timeout" => new TimeoutException(),
        "broken connection" => BrokenConnection(),
        "io" => new IOException("reset"),
        "our bug" => new InvalidOperationException("not Npgsql's"),
        _ => new PostgresException("m", "ERROR", "ERROR", failure),
    };

    /// <summary>What Npgsql throws when a broken connection is used: an InvalidOperationException from its own assembly.</summary>
    private static InvalidOperationException BrokenConnection()
    {
        using var connection = new NpgsqlConnection("Host=unused");
        try
        {
            connection.CreateCommand().ExecuteNonQuery();
        }
        catch (InvalidOperationException e)
        {
            return e;
        }

        throw new AssertFailedException("Npgsql ran a command on a closed connection");
    }
}
