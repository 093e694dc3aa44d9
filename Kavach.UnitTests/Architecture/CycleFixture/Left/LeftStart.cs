using Kavach.UnitTests.Architecture.CycleFixture.Below;
using Kavach.UnitTests.Architecture.CycleFixture.Right;

namespace Kavach.UnitTests.Architecture.CycleFixture.Left;

/// <summary>Names <see cref="RightEnd"/> only inside a lambda, so only a closure's body carries that dependency.</summary>
internal static class LeftStart
{
    public static Func<object> Later() => () => new RightEnd();

    public static int Shared() => BelowBoth.Value;
}
