using System.Text.Json.Nodes;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// One deployment of the compiled template, with the parameter values its parent gives it: main.bicep at the top, each
/// module a nested <c>Microsoft.Resources/deployments</c> below. Resources are evaluated with <see cref="ArmExpression"/>
/// (conditions decided, copies expanded), so a test reads what Azure would be asked to create.
/// </summary>
public sealed class ArmDeployment
{
    private readonly JsonObject _template;
    private readonly IReadOnlyDictionary<string, object?> _parameters;

    private ArmDeployment(string name, JsonObject template, IReadOnlyDictionary<string, object?> parameters)
    {
        Name = name;
        _template = template;
        _parameters = parameters;
    }

    public string Name { get; }

    public static ArmDeployment OfMain(JsonObject template, IReadOnlyDictionary<string, object?> parameters) => new("main", template, parameters);

    /// <summary>The same deployment with some parameters given other values (e.g. a container app with no image yet).</summary>
    public ArmDeployment With(string parameter, object? value) =>
        new(Name, _template, new Dictionary<string, object?>(_parameters) { [parameter] = value });

    public object? Parameter(string name) => _parameters.TryGetValue(name, out var value)
        ? value
        : Evaluate(_template["parameters"]?[name]?["defaultValue"]
                   ?? throw new KeyNotFoundException($"{Name}: parameter '{name}' has no value and no default"));

    public object? Variable(string name) => Evaluate(_template["variables"]?[name]
                                                     ?? throw new KeyNotFoundException($"{Name}: no variable '{name}'"));

    public object? Evaluate(JsonNode? node, int copyIndex = 0) => ArmExpression.Evaluate(node, Parameter, Variable, copyIndex);

    /// <summary>Every resource this deployment creates (not <c>existing</c> ones, not those whose condition is false), one per copy.</summary>
    public IEnumerable<ArmResource> Resources()
    {
        var declared = _template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject symbolic => symbolic.Select(p => p.Value!.AsObject()),
            _ => [],
        };
        foreach (var resource in declared)
        {
            if (resource["existing"]?.GetValue<bool>() == true || (resource["condition"] is { } condition && Evaluate(condition) is false))
            {
                continue;
            }

            var copies = resource["copy"] is JsonObject copy ? Convert.ToInt32(Evaluate(copy["count"])) : 1;
            for (var i = 0; i < copies; i++)
            {
                yield return new ArmResource(this, resource, i);
            }
        }
    }

    public IEnumerable<ArmDeployment> Children() =>
        Resources().Where(r => r.Type == "Microsoft.Resources/deployments").Select(r => r.AsDeployment());

    /// <summary>This deployment and every deployment nested in it, depth first.</summary>
    public IEnumerable<ArmDeployment> SelfAndDescendants() => Children().SelectMany(c => c.SelfAndDescendants()).Prepend(this);

    public IEnumerable<ArmResource> AllResources() => SelfAndDescendants().SelectMany(d => d.Resources());

    public ArmDeployment Descendant(string name) =>
        SelfAndDescendants().SingleOrDefault(d => d.Name == name) ?? throw new KeyNotFoundException($"no deployment '{name}'");

    internal ArmDeployment Nested(ArmResource resource)
    {
        var template = resource.Json["properties"]!["template"]!.AsObject();
        var given = resource.Json["properties"]!["parameters"]?.AsObject() ?? [];
        var values = given.ToDictionary(p => p.Key, p => Evaluate(p.Value, resource.CopyIndex) is Dictionary<string, object?> wrapper
            ? wrapper.GetValueOrDefault("value")
            : throw new InvalidOperationException($"{resource.Name}: parameter '{p.Key}' is not given by value"));
        return new ArmDeployment(resource.Name, template, values);
    }
}

/// <summary>One resource (one copy of it) in a deployment, evaluated on demand.</summary>
public sealed record ArmResource(ArmDeployment Deployment, JsonObject Json, int CopyIndex)
{
    public string Type => Json["type"]!.GetValue<string>();

    public string Name => ArmExpression.Render(Deployment.Evaluate(Json["name"], CopyIndex));

    public object? Get(string property) => Deployment.Evaluate(Json[property], CopyIndex);

    public Dictionary<string, object?> Properties => Get("properties") as Dictionary<string, object?> ?? [];

    public ArmDeployment AsDeployment() => Deployment.Nested(this);
}
