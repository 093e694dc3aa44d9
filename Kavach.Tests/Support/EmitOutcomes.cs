using Kavach.StreamApi.Emit;
using Kavach.Contracts;

namespace Kavach.Tests.Support;

public static class EmitOutcomes
{
    /// <summary>The events of an emit that must have been stored; fails the test with the outcome otherwise.</summary>
    public static IReadOnlyList<EmittedEvent> Stored(this EmitOutcome outcome) =>
        outcome is EmitOutcome.Emitted emitted ? emitted.Events : throw new AssertFailedException($"The emit was not stored: {outcome}");
}
