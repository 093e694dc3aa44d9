namespace Kavach.Contracts;

/// <summary>
/// The SSE event names of the stream's signals. Events are named by their type (<see cref="KavachEventTypes"/>) and
/// carry an <c>id:</c>; signals carry none.
/// </summary>
public static class StreamFrameNames
{
    public const string Connected = "connected";
    public const string Resync = "resync";
    public const string Error = "error";
    public const string Checkpoint = "checkpoint";
}
