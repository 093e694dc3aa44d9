namespace Kavach.UnitTests.Architecture.CycleFixture.Below;

/// <summary>Needed by both sides of the fixture's cycle and needing neither: a dependency that is not a cycle.</summary>
internal static class BelowBoth
{
    public static readonly int Value = 1;
}
