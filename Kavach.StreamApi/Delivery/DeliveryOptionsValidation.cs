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
        if (options.LeaseDuration < TimeSpan.FromSeconds(3))
        {
            failures.Add($"{section}:LeaseDuration must be at least 3 seconds (it is renewed every third of it, and no attempt outlives it).");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout >= options.LeaseDuration)
        {
            failures.Add($"{section}:Timeout must be positive and shorter than {section}:LeaseDuration (an attempt never outlives the lease).");
        }

        if (options.FirstRetry <= TimeSpan.Zero || options.MaxBackoff < options.FirstRetry)
        {
            failures.Add($"{section}:FirstRetry must be positive and {section}:MaxBackoff at least FirstRetry.");
        }

        if (options.CursorWriteAfter <= TimeSpan.Zero || options.CursorWriteAfter >= options.LeaseDuration / 3)
        {
            failures.Add($"{section}:CursorWriteAfter must be positive and shorter than a third of {section}:LeaseDuration (the cursor is written before the lease is renewed).");
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
