using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// A value only Azure knows at deployment time (a resource's id, another deployment's output): kept as the expression
/// that yields it, so a test can still tell which deployment it comes from.
/// </summary>
public sealed record ArmSymbol(string Text)
{
    public override string ToString() => Text;
}

/// <summary>
/// Just enough of ARM's template language to evaluate what the compiled Bicep decides offline: parameters, variables,
/// if/empty/equals, arrays, objects, format, concat. Anything that needs Azure (reference, resourceId, uniqueString...)
/// becomes an <see cref="ArmSymbol"/> holding its text.
/// </summary>
public sealed class ArmExpression
{
    private readonly string _text;
    private readonly Func<string, object?> _parameter;
    private readonly Func<string, object?> _variable;
    private readonly int _copyIndex;
    private int _at;

    private ArmExpression(string text, Func<string, object?> parameter, Func<string, object?> variable, int copyIndex)
    {
        _text = text;
        _parameter = parameter;
        _variable = variable;
        _copyIndex = copyIndex;
    }

    /// <summary>A template value: a "[...]" string is an expression; objects and arrays are evaluated member by member.</summary>
    public static object? Evaluate(JsonNode? node, Func<string, object?> parameter, Func<string, object?> variable, int copyIndex = 0) => node switch
    {
        null => null,
        JsonObject obj when obj["copy"] is JsonArray loops => WithPropertyLoops(obj, loops, parameter, variable, copyIndex),
        JsonObject obj => obj.ToDictionary(
            p => p.Key.StartsWith('[') ? Render(Evaluate(JsonValue.Create(p.Key), parameter, variable, copyIndex)) : p.Key,
            p => Evaluate(p.Value, parameter, variable, copyIndex)),
        JsonArray array => array.Select(item => Evaluate(item, parameter, variable, copyIndex)).ToList(),
        JsonValue value when value.TryGetValue<string>(out var s) && s.StartsWith('[') && !s.StartsWith("[[", StringComparison.Ordinal) =>
            new ArmExpression(s[1..^1], parameter, variable, copyIndex).Parse(),
        JsonValue value when value.TryGetValue<string>(out var s) => s.StartsWith("[[", StringComparison.Ordinal) ? s[1..] : s,
        JsonValue value when value.TryGetValue<bool>(out var b) => b,
        JsonValue value when value.TryGetValue<long>(out var l) => l,
        _ => node.ToJsonString(),
    };

    /// <summary>A property loop ("copy": [{ name, count, input }]): the property becomes the list of its inputs.</summary>
    private static Dictionary<string, object?> WithPropertyLoops(JsonObject obj, JsonArray loops, Func<string, object?> parameter,
        Func<string, object?> variable, int copyIndex)
    {
        var rest = new JsonObject(obj.Where(p => p.Key != "copy").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var result = (Dictionary<string, object?>)Evaluate(rest, parameter, variable, copyIndex)!;
        foreach (var loop in loops.Select(l => l!.AsObject()))
        {
            var count = Convert.ToInt32(Evaluate(loop["count"], parameter, variable, copyIndex), CultureInfo.InvariantCulture);
            result[loop["name"]!.GetValue<string>()] = Enumerable.Range(0, count)
                .Select(i => Evaluate(loop["input"], parameter, variable, i)).ToList();
        }

        return result;
    }

    private object? Parse()
    {
        var value = ParseExpression();
        SkipSpace();
        if (_at != _text.Length)
        {
            throw new FormatException($"Unexpected '{_text[_at..]}' in [{_text}]");
        }

        return value;
    }

    private object? ParseExpression()
    {
        SkipSpace();
        object? value;
        if (_text[_at] == '\'')
        {
            value = ParseString();
        }
        else if (char.IsDigit(_text[_at]) || _text[_at] == '-')
        {
            var start = _at++;
            while (_at < _text.Length && char.IsDigit(_text[_at]))
            {
                _at++;
            }

            value = long.Parse(_text[start.._at], CultureInfo.InvariantCulture);
        }
        else
        {
            value = ParseCall();
        }

        return ParseAccessors(value);
    }

    private object? ParseCall()
    {
        var start = _at;
        while (_at < _text.Length && (char.IsLetterOrDigit(_text[_at]) || _text[_at] == '_'))
        {
            _at++;
        }

        var name = _text[start.._at];
        Expect('(');
        // if() evaluates only the branch it takes: the other may name what this evaluator cannot know.
        var arguments = new List<Func<object?>>();
        SkipSpace();
        while (_text[_at] != ')')
        {
            var argumentStart = _at;
            SkipArgument();
            var argumentText = _text[argumentStart.._at];
            arguments.Add(() => new ArmExpression(argumentText, _parameter, _variable, _copyIndex).Parse());
            SkipSpace();
            if (_text[_at] == ',')
            {
                _at++;
                SkipSpace();
            }
        }

        _at++;
        return Call(name, arguments, _text[start.._at]);
    }

    private object? Call(string name, List<Func<object?>> arguments, string text)
    {
        object? Arg(int i) => arguments[i]();
        List<object?> All() => arguments.Select(a => a()).ToList();
        switch (name.ToLowerInvariant())
        {
            case "parameters": return _parameter((string)Arg(0)!);
            case "variables": return _variable((string)Arg(0)!);
            case "copyindex": return (long)_copyIndex;
            case "if": return Truthy(Arg(0)) ? Arg(1) : Arg(2);
            case "true": return true;
            case "false": return false;
            case "not": return !Truthy(Arg(0));
            case "and": return All().All(Truthy);
            case "or": return All().Any(Truthy);
            case "equals": return Equals(Arg(0), Arg(1));
            case "createarray": return All();
            case "createobject":
                var values = All();
                return Enumerable.Range(0, values.Count / 2).ToDictionary(i => (string)values[2 * i]!, i => values[(2 * i) + 1]);
            case "string": return Arg(0) is ArmSymbol symbol ? symbol : Convert.ToString(Arg(0), CultureInfo.InvariantCulture);
            case "base64tostring": return Arg(0) is string base64 ? Encoding.UTF8.GetString(Convert.FromBase64String(base64)) : new ArmSymbol(text);
            case "length": return Arg(0) switch { string str => (long)str.Length, List<object?> l => (long)l.Count, _ => new ArmSymbol(text) };
            case "concat":
                var parts = All();
                if (parts.All(p => p is List<object?>))
                {
                    return parts.SelectMany(p => (List<object?>)p!).ToList();
                }

                return parts.Any(p => p is ArmSymbol) ? new ArmSymbol(string.Concat(parts.Select(Render))) : string.Concat(parts);
            case "format":
                var all = All();
                var formatted = string.Format(CultureInfo.InvariantCulture, (string)all[0]!, all.Skip(1).Select(Render).ToArray());
                return all.Any(p => p is ArmSymbol) ? new ArmSymbol(formatted) : formatted;
            case "empty":
                return Arg(0) switch
                {
                    null => true,
                    string str => str.Length == 0,
                    List<object?> l => l.Count == 0,
                    Dictionary<string, object?> d => d.Count == 0,
                    var other => throw new InvalidOperationException($"empty() of {other}, known only on Azure"),
                };
            default: return new ArmSymbol($"{name}({string.Join(", ", All().Select(Quoted))})");
        }
    }

    private object? ParseAccessors(object? value)
    {
        while (_at < _text.Length)
        {
            if (_text[_at] == '.')
            {
                _at++;
                var start = _at;
                while (_at < _text.Length && (char.IsLetterOrDigit(_text[_at]) || _text[_at] == '_'))
                {
                    _at++;
                }

                var property = _text[start.._at];
                value = value switch
                {
                    Dictionary<string, object?> d => d.GetValueOrDefault(property),
                    _ => new ArmSymbol($"{value}.{property}"),
                };
            }
            else if (_text[_at] == '[')
            {
                _at++;
                var index = ParseExpression();
                Expect(']');
                value = (value, index) switch
                {
                    (List<object?> l, long i) => l[(int)i],
                    (Dictionary<string, object?> d, string key) => d.GetValueOrDefault(key),
                    _ => new ArmSymbol($"{value}[{index}]"),
                };
            }
            else
            {
                break;
            }
        }

        return value;
    }

    private string ParseString()
    {
        var text = new StringBuilder();
        _at++;
        while (true)
        {
            if (_text[_at] == '\'')
            {
                if (_at + 1 < _text.Length && _text[_at + 1] == '\'')
                {
                    text.Append('\'');
                    _at += 2;
                    continue;
                }

                _at++;
                return text.ToString();
            }

            text.Append(_text[_at++]);
        }
    }

    /// <summary>Moves past one argument: to the comma or closing parenthesis at its own depth, strings skipped whole.</summary>
    private void SkipArgument()
    {
        var depth = 0;
        while (_at < _text.Length)
        {
            var c = _text[_at];
            if (c == '\'')
            {
                ParseString();
                continue;
            }

            if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                if (depth == 0)
                {
                    return;
                }

                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                return;
            }

            _at++;
        }
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (_text[_at] != c)
        {
            throw new FormatException($"Expected '{c}' at {_at} in [{_text}]");
        }

        _at++;
    }

    private void SkipSpace()
    {
        while (_at < _text.Length && _text[_at] == ' ')
        {
            _at++;
        }
    }

    /// <summary>A value as text: a symbol's expression, a string as it is.</summary>
    public static string Render(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    private static string Quoted(object? value) => value is string s ? $"'{s}'" : Render(value);

    private static bool Truthy(object? value) => value switch
    {
        bool b => b,
        ArmSymbol symbol => throw new InvalidOperationException($"{symbol} is known only on Azure"),
        _ => throw new InvalidOperationException($"{value} is not a condition"),
    };

    private static new bool Equals(object? a, object? b) => a is ArmSymbol || b is ArmSymbol
        ? throw new InvalidOperationException($"equals({a}, {b}) is known only on Azure")
        : Convert.ToString(a, CultureInfo.InvariantCulture) == Convert.ToString(b, CultureInfo.InvariantCulture);
}
