using Kavach.StreamApi.Persistence.Migrations;

namespace Kavach.UnitTests.StreamApi;

/// <summary>The migrations this build carries (embedded SQL files): numbered without gaps, none empty, none editing history.</summary>
[TestClass]
public sealed class SchemaMigrationListTests
{
    [TestMethod]
    public void MigrationsAreNumberedFromOneWithoutGaps()
    {
        CollectionAssert.AreEqual(Enumerable.Range(1, SchemaMigration.All.Count).ToList(), SchemaMigration.All.Select(m => m.Version).ToList());
        Assert.AreEqual(SchemaMigration.All.Count, SchemaMigration.LatestVersion);
    }

    [TestMethod]
    public void EveryMigrationIsIdempotentDdlSoADatabaseWithoutAJournalCanBeBroughtUp()
    {
        foreach (var migration in SchemaMigration.All)
        {
            Assert.IsFalse(string.IsNullOrWhiteSpace(migration.Sql), migration.Name);
            foreach (var statement in new[] { "CREATE TABLE ", "CREATE INDEX ", "ADD COLUMN " })
            {
                var plain = migration.Sql.Split(statement).Length - 1;
                var guarded = migration.Sql.Split(statement + "IF NOT EXISTS").Length - 1;
                Assert.AreEqual(plain, guarded, $"{migration.Version} {migration.Name}: every {statement.Trim()} must say IF NOT EXISTS");
            }
        }
    }
}
