using Kavach.UnitTests.Architecture.CycleFixture.Below;
using Kavach.UnitTests.Architecture.CycleFixture.Left;

namespace Kavach.UnitTests.Architecture.CycleFixture.Right;

/// <summary>Names <see cref="LeftStart"/> only inside an async method, so only a state machine's body carries it.</summary>
internal sealed class RightEnd
{
    public static async Task<string> NameAsync()
    {
        await Task.Yield();
        return typeof(LeftStart).Name + BelowBoth.Value;
    }
}
