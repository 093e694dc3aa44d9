namespace Kavach.StreamApi.Delivery;

/// <summary>
/// Wakes every sender at once: when the hub appends events, and at each of the engine's ticks. A sender takes
/// <see cref="Next"/> before it looks for work, so a pulse that comes while it looks is not missed.
/// </summary>
public sealed class DeliveryPulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Fire() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
