using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Delivery;

/// <summary>What data annotations cannot say of <see cref="DeliveryOptions"/>: the times' order and the allow-list's form.</summary>
public sealed class DeliveryOptionsValidation : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        var failures = new List<string>();
        var section = DeliveryOptions.Section;
        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{section}:LeaseDuration must be at least 1 second (it is renewed every third of it).");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{section}:Timeout must be positive.");
        }

        if (options.FirstRetry <= TimeSpan.Zero || options.MaxBackoff < options.FirstRetry)
        {
            failures.Add($"{section}:FirstRetry must be positive and {section}:MaxBackoff at least FirstRetry.");
        }

        if (options.RetryHorizon <= TimeSpan.Zero)
        {
            failures.Add($"{section}:RetryHorizon must be positive.");
        }

        foreach (var target in options.AllowedPrivateTargets)
        {
            if (!TargetPolicy.TryParseTarget(target, out _))
            {
                failures.Add($"{section}:AllowedPrivateTargets: '{target}' is neither an address nor a CIDR range (such as 127.0.0.0/8).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
