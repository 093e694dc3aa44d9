namespace Kavach.StreamApi.Auth;

/// <summary>
/// The subscriber whose token a request was accepted with, carried as a request feature: whoever checked the token
/// (the <see cref="RequireToken"/> filter, or the stream endpoint before it streams) sets it, and handlers read it.
/// </summary>
public sealed record SubscriberFeature(Subscriber Subscriber);

public static class SubscriberFeatureExtensions
{
    public static void SetSubscriber(this HttpContext context, Subscriber subscriber) =>
        context.Features.Set(new SubscriberFeature(subscriber));

    /// <summary>The accepted subscriber; throws on an endpoint that checks no token (a wiring mistake, never a client's).</summary>
    public static Subscriber GetSubscriber(this HttpContext context) =>
        context.Features.Get<SubscriberFeature>()?.Subscriber
        ?? throw new InvalidOperationException("This endpoint checks no token: add the RequireToken filter.");
}
