using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.Support;

/// <summary>
/// Runs exactly the options checks a service runs when it starts (<see cref="IStartupValidator"/>), on its real
/// registrations and the given settings. Starting the whole app in WebApplicationFactory to see it fail is racy: the
/// factory sometimes reports its own disposed provider instead of the validation error.
/// </summary>
public static class StartupValidation
{
    /// <summary>The validation messages that stop the start (one error, or several at once).</summary>
    public static string Failure(string environment, IDictionary<string, string?> settings,
        Action<IHostApplicationBuilder> addServices)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(settings);
        addServices(builder);
        using var app = builder.Build();
        var failure = Assert.Throws<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        var errors = failure is AggregateException many ? many.InnerExceptions : [failure];
        Assert.IsTrue(errors.All(e => e is OptionsValidationException), failure.ToString());
        return string.Join(Environment.NewLine, errors.Select(e => e.Message));
    }

    /// <summary>Asserts that the settings pass every check a service runs when it starts.</summary>
    public static void Passes(string environment, IDictionary<string, string?> settings, Action<IHostApplicationBuilder> addServices)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(settings);
        addServices(builder);
        using var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
    }
}
