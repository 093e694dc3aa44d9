using System.ComponentModel.DataAnnotations;

namespace Kavach.StreamApi.Options;

/// <summary>
/// Settings under <c>Kavach:Database</c>: how a replica uses PostgreSQL. Every wait is bounded, and history reads
/// have their own small pool so that catching-up streams can never take the connections emits and the hub need.
/// </summary>
public sealed partial class DatabaseOptions : IValidatableObject
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

    /// <summary>
    /// The service's own PostgreSQL role, which the migrate step (<c>Kavach.StreamApi migrate</c>) grants what the replicas
    /// need — events, checkpoints and keys to add and read, never to change or delete — and nothing else. Read by the
    /// migrate step only; the replicas connect as it through <c>ConnectionStrings:kavachdb</c>.
    /// </summary>
    public string? AppRole { get; set; }

    /// <summary>
    /// Its password: the migrate step creates the role with it, or sets it on the role that exists. Without it the role
    /// must exist already (made by an administrator, or signing in another way).
    /// </summary>
    public string? AppRolePassword { get; set; }

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

        if (AppRole is not null && !AppRoleName().IsMatch(AppRole))
        {
            yield return new ValidationResult(
                $"{Section}:{nameof(AppRole)} must be a plain PostgreSQL role name: lower-case letters, digits and '_', at most 63, not starting with a digit (it is '{AppRole}').",
                [nameof(AppRole)]);
        }

        if (AppRolePassword is not null && (AppRole is null || AppRolePassword.Length < 16 || AppRolePassword.Any(c => c is < '!' or > '~')))
        {
            yield return new ValidationResult(
                $"{Section}:{nameof(AppRolePassword)} must come with {Section}:{nameof(AppRole)} and be at least 16 printable ASCII characters without spaces.",
                [nameof(AppRolePassword)]);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex AppRoleName();

    /// <summary>Session settings sent with every connection.</summary>
    internal string SessionOptions =>
        $"-c statement_timeout={Milliseconds(StatementTimeout)} -c lock_timeout={Milliseconds(LockTimeout)} " +
        $"-c idle_in_transaction_session_timeout={Milliseconds(IdleInTransactionTimeout)}";

    private static long Milliseconds(TimeSpan value) => (long)value.TotalMilliseconds;
}
