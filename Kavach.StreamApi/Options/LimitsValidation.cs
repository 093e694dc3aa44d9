using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Options;

/// <summary>
/// <c>Kavach:Limits</c> checked at start, against the settings it must fit with: the history pool its reads share with
/// streams catching up, and the largest range one verification may ask for.
/// </summary>
public sealed class LimitsValidation(IOptions<DatabaseOptions> database, IOptions<IntegrityOptions> integrity) : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        var errors = new List<string>();
        foreach (var (key, limit) in options.Groups)
        {
            if (limit.PerSubject < 0 || limit.PerAddress < 0)
            {
                errors.Add($"{key}:PerSubject and {key}:PerAddress are requests per window, 0 for no limit (they are {limit.PerSubject} and {limit.PerAddress}).");
            }

            if (limit.Window < TimeSpan.FromSeconds(1) || limit.Window > TimeSpan.FromDays(1))
            {
                errors.Add($"{key}:Window must be between 00:00:01 and 1.00:00:00 (it is {limit.Window}).");
            }

            if (limit is ReadLimit read)
            {
                if (read.Concurrent is < 1 or > 1000)
                {
                    errors.Add($"{key}:Concurrent must be between 1 and 1000 (it is {read.Concurrent}): these reads hold a history connection while they run.");
                }

                if (read.Queue is < 0 or > 10_000)
                {
                    errors.Add($"{key}:Queue must be between 0 and 10000 (it is {read.Queue}).");
                }
            }
        }

        var reads = options.Pages.Concurrent + options.Replay.Concurrent + options.Verify.Concurrent + options.Proofs.Concurrent;
        var pool = database.Value.HistoryPoolSize;
        if (reads >= pool)
        {
            errors.Add($"{LimitsOptions.Section}:Pages:Concurrent + Replay:Concurrent + Verify:Concurrent + Proofs:Concurrent ({reads}) must be below " +
                $"{DatabaseOptions.Section}:HistoryPoolSize ({pool}): streams catching up from PostgreSQL need its other connections.");
        }

        var budget = options.Verify.EventsPerSubject;
        var range = integrity.Value.MaxVerifyRange;
        if (budget < 0 || (budget != 0 && budget < range))
        {
            errors.Add($"{LimitsOptions.Section}:Verify:EventsPerSubject ({budget}) must be 0 (no budget) or at least " +
                $"{IntegrityOptions.Section}:MaxVerifyRange ({range}): otherwise the largest verification could never run.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
