using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Options;

/// <summary>Fails the console's start on unusable rules, with every problem named by its key.</summary>
public sealed class AlertRulesValidation : IValidateOptions<AlertRulesOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertRulesOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
