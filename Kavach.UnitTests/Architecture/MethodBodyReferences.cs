using System.Reflection;
using System.Reflection.Emit;

namespace Kavach.UnitTests.Architecture;

/// <summary>
/// The members a method's body names: the type, method and field operands of its IL, resolved through the module's
/// metadata. Signatures alone miss most dependencies (a handler that calls a static helper declares nothing about it).
/// </summary>
internal static class MethodBodyReferences
{
    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];

    static MethodBodyReferences()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var code = (OpCode)field.GetValue(null)!;
            var value = (ushort)code.Value;
            if (value < 0x100) OneByte[value] = code;
            else if ((value & 0xFF00) == 0xFE00) TwoByte[value & 0xFF] = code;
        }
    }

    /// <summary>The members named by the body's operands; tokens the runtime cannot resolve go to <paramref name="unresolved"/>.</summary>
    public static IEnumerable<MemberInfo> Of(MethodBase method, ICollection<string> unresolved)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method is MethodInfo { IsGenericMethod: true } ? method.GetGenericArguments() : null;
        var at = 0;
        while (at < il.Length)
        {
            var code = il[at] == 0xFE ? TwoByte[il[++at]] : OneByte[il[at]];
            at++;
            var operand = code.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4,
            };
            if (code.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                var token = BitConverter.ToInt32(il, at);
                var member = Resolve(method.Module, token, typeArguments, methodArguments, out var failure);
                if (member is not null) yield return member;
                else unresolved.Add($"{method.DeclaringType?.FullName}.{method.Name}: token 0x{token:X8} ({failure})");
            }
            at += operand;
        }
    }

    private static MemberInfo? Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments, out string? failure)
    {
        failure = null;
        try
        {
            return module.ResolveMember(token, typeArguments, methodArguments);
        }
        catch (Exception e) when (e is ArgumentException or TypeLoadException or MissingMemberException or FileNotFoundException or BadImageFormatException)
        {
            failure = e.Message;
            return null;
        }
    }
}
