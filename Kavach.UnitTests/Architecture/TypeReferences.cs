using System.Reflection;

namespace Kavach.UnitTests.Architecture;

/// <summary>
/// Every type that the types of one assembly name: base type, interfaces, generic arguments and constraints, the
/// signatures of fields, properties, events, methods and constructors, attributes, locals, catch clauses and the
/// operands of method bodies. Nested and compiler-generated types (closures, state machines, lambdas' display classes)
/// speak for their outermost declaring type, which is the type a reader of the source sees.
/// </summary>
internal sealed class TypeReferences
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private readonly List<string> _unresolved = [];

    /// <summary>Method-body tokens that could not be resolved: a reference the reading may have missed.</summary>
    public IReadOnlyList<string> Unresolved => _unresolved;

    /// <summary>Pairs of (outermost declaring type, a type it names), each referenced type reduced to plain definitions.</summary>
    public IEnumerable<(Type From, Type To)> Of(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var owner = Outermost(type);
            foreach (var named in Named(type))
                foreach (var plain in Plain(named))
                    yield return (owner, Outermost(plain));
        }
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } declaring) type = declaring;
        return type;
    }

    private IEnumerable<Type> Named(Type type)
    {
        if (type.BaseType is { } baseType) yield return baseType;
        var inherited = type.BaseType?.GetInterfaces() ?? [];
        foreach (var contract in type.GetInterfaces().Except(inherited)) yield return contract;
        foreach (var named in Generic(type.IsGenericTypeDefinition ? type.GetGenericArguments() : [])) yield return named;
        foreach (var named in Attributes(type.GetCustomAttributesData())) yield return named;

        foreach (var field in type.GetFields(Declared))
        {
            yield return field.FieldType;
            foreach (var named in Attributes(field.GetCustomAttributesData())) yield return named;
        }
        foreach (var property in type.GetProperties(Declared))
        {
            yield return property.PropertyType;
            foreach (var named in Attributes(property.GetCustomAttributesData())) yield return named;
        }
        foreach (var @event in type.GetEvents(Declared))
            if (@event.EventHandlerType is { } handler) yield return handler;

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            foreach (var named in InMethod(method)) yield return named;
    }

    private IEnumerable<Type> InMethod(MethodBase method)
    {
        if (method is MethodInfo info)
        {
            yield return info.ReturnType;
            foreach (var named in Generic(info.IsGenericMethodDefinition ? info.GetGenericArguments() : [])) yield return named;
        }
        foreach (var parameter in method.GetParameters())
        {
            yield return parameter.ParameterType;
            foreach (var named in Attributes(parameter.GetCustomAttributesData())) yield return named;
        }
        foreach (var named in Attributes(method.GetCustomAttributesData())) yield return named;

        var body = method.GetMethodBody();
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) yield return local.LocalType;
        foreach (var clause in body.ExceptionHandlingClauses)
            if (clause.Flags == ExceptionHandlingClauseOptions.Clause && clause.CatchType is { } caught) yield return caught;
        foreach (var member in MethodBodyReferences.Of(method, _unresolved))
        {
            switch (member)
            {
                case Type named:
                    yield return named;
                    break;
                case MethodBase called:
                    if (called.DeclaringType is { } declaring) yield return declaring;
                    if (called is MethodInfo { IsGenericMethod: true } generic)
                        foreach (var argument in generic.GetGenericArguments()) yield return argument;
                    break;
                case FieldInfo field:
                    if (field.DeclaringType is { } owner) yield return owner;
                    break;
            }
        }
    }

    private static IEnumerable<Type> Generic(Type[] parameters) =>
        parameters.Where(p => p.IsGenericParameter).SelectMany(p => p.GetGenericParameterConstraints());

    private static IEnumerable<Type> Attributes(IEnumerable<CustomAttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            yield return attribute.AttributeType;
            foreach (var argument in attribute.ConstructorArguments.Concat(attribute.NamedArguments.Select(a => a.TypedValue)))
                if (argument.Value is Type named) yield return named;
        }
    }

    /// <summary>A constructed type's parts: arrays, by-refs and pointers to their element, generic types to their definition and arguments.</summary>
    private static IEnumerable<Type> Plain(Type type)
    {
        if (type.IsGenericParameter) yield break;
        if (type.HasElementType)
        {
            foreach (var plain in Plain(type.GetElementType()!)) yield return plain;
            yield break;
        }
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            yield return type.GetGenericTypeDefinition();
            foreach (var argument in type.GetGenericArguments())
                foreach (var plain in Plain(argument)) yield return plain;
            yield break;
        }
        yield return type;
    }
}
