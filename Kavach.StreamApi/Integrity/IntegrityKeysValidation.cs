using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// The keys under <c>Kavach:Integrity</c> checked at start by the code that will load them (<see cref="CheckpointKey"/>,
/// <see cref="TrustedKeys"/>), so a bad PEM stops the start with the key's name rather than the first signature.
/// </summary>
public sealed class IntegrityKeysValidation : IValidateOptions<IntegrityOptions>
{
    public ValidateOptionsResult Validate(string? name, IntegrityOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.CheckpointKey))
        {
            var problem = CheckpointKey.TryLoad(options.CheckpointKey, out var key);
            key?.Dispose();
            if (problem is not null)
            {
                errors.Add($"{IntegrityOptions.Section}:CheckpointKey: {problem}");
            }
        }

        for (var i = 0; i < options.PinnedKeys.Count; i++)
        {
            try
            {
                TrustedKeys.Describe(options.PinnedKeys[i]);
            }
            catch (InvalidOperationException e)
            {
                errors.Add($"{IntegrityOptions.Section}:PinnedKeys:{i}: {e.Message}");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
