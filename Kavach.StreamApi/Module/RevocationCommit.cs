using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Module;

/// <summary>What became of a revocation and the event that records it: one outcome for both, since they commit together.</summary>
public sealed record RevocationCommit(EmitOutcome Outcome, Revocation? Revocation);
