using Npgsql;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// Statements run with the credentials the replicas run with, each in a transaction of its own that is rolled back:
/// whatever one of them manages (against a build that runs as a role that may do anything), the other attacks never
/// see it.
/// </summary>
public static class AsService
{
    /// <summary>"refused (SQLSTATE: message)", or "accepted (N rows)" for a statement that ran.</summary>
    public static async Task<string> TryAsync(NpgsqlConnection service, string sql)
    {
        await using var transaction = await service.BeginTransactionAsync();
        try
        {
            await using (var bounded = new NpgsqlCommand("SET LOCAL lock_timeout = '2s'", service, transaction))
            {
                await bounded.ExecuteNonQueryAsync();
            }

            await using var command = new NpgsqlCommand(sql, service, transaction);
            var rows = await command.ExecuteNonQueryAsync();
            return $"accepted ({rows} rows)";
        }
        catch (PostgresException e)
        {
            return $"refused ({e.SqlState}: {e.MessageText})";
        }
        finally
        {
            await transaction.RollbackAsync();
        }
    }

    public static bool Refused(string outcome) => outcome.StartsWith($"refused ({PostgresErrorCodes.InsufficientPrivilege}", StringComparison.Ordinal);
}
