using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.StreamApi.Integrity;

public enum SignerState
{
    /// <summary>Not anchored yet, or not caught up with the head.</summary>
    Starting,

    /// <summary>The stored chain is the delivered one: checkpoints are signed as they fall due.</summary>
    Signing,

    /// <summary>The stored chain differs from the one delivered or trusted: nothing is signed until an operator looks.</summary>
    Refusing,
}

/// <summary>What this replica's checkpoint signer is doing, as <c>/verify</c> reports it.</summary>
public sealed record SignerStatus(SignerState State, string? Reason, Checkpoint? LastSigned, DateTimeOffset? Since = null)
{
    /// <summary>As <c>/verify</c> writes it: the state in camelCase (<see cref="SignerStates"/>).</summary>
    public ChainSigner ToReport() => new(JsonNamingPolicy.CamelCase.ConvertName(State.ToString()), Reason, LastSigned, Since);
}
