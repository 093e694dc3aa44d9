using System.ComponentModel.DataAnnotations;

namespace Kavach.StreamApi.Options;

/// <summary>
/// Settings under <c>Kavach:Database</c>: how a replica uses PostgreSQL. Every wait is bounded, and history reads
/// have their own small pool so that catching-up streams can never take the connections emits and the hub need.
/// </summary>
public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Kavach:Database";

    /// <summary>
    /// Connections for emits, the hub, health and retention. Keep replicas × (this + <see cref="HistoryPoolSize"/>)
    /// below PostgreSQL's <c>max_connections</c> minus its reserved connections.
    /// </summary>
    [Range(2, 1000)]
    public int MaxPoolSize { get; set; } = 16;

    /// <summary>Connections for history reads: streams catching up from PostgreSQL, pages and replay.</summary>
    [Range(1, 1000)]
    public int HistoryPoolSize { get; set; } = 6;

    /// <summary>Longest a statement may run (PostgreSQL <c>statement_timeout</c>).</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest an emit waits for the sequence lock (PostgreSQL <c>lock_timeout</c>).</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A transaction left idle this long is ended by PostgreSQL (<c>idle_in_transaction_session_timeout</c>), releasing its locks.</summary>
    public TimeSpan IdleInTransactionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for a free pooled connection or a new one.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(StatementTimeout), StatementTimeout),
                     (nameof(LockTimeout), LockTimeout),
                     (nameof(IdleInTransactionTimeout), IdleInTransactionTimeout),
                     (nameof(ConnectTimeout), ConnectTimeout),
                 })
        {
            if (value < TimeSpan.FromMilliseconds(100) || value > TimeSpan.FromHours(1))
            {
                yield return new ValidationResult($"{Section}:{name} must be between 100 ms and 1 hour (it is {value}).", [name]);
            }
        }
    }

    /// <summary>Session settings sent with every connection.</summary>
    internal string SessionOptions =>
        $"-c statement_timeout={Milliseconds(StatementTimeout)} -c lock_timeout={Milliseconds(LockTimeout)} " +
        $"-c idle_in_transaction_session_timeout={Milliseconds(IdleInTransactionTimeout)}";

    private static long Milliseconds(TimeSpan value) => (long)value.TotalMilliseconds;
}
