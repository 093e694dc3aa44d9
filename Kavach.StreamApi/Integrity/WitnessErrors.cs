namespace Kavach.StreamApi.Integrity;

internal static class WitnessErrors
{
    /// <summary>
    /// The witness did not answer in time, could not be reached, or refused: an outage to report and retry, not a bug. The
    /// Azure SDK reports a request that failed every retry as an AggregateException of the attempts' failures.
    /// </summary>
    public static bool Unavailable(Exception e) => e is Azure.RequestFailedException or Azure.Identity.AuthenticationFailedException
        or Azure.Identity.CredentialUnavailableException or IOException or UnauthorizedAccessException or TimeoutException
        or OperationCanceledException or HttpRequestException
        || (e is AggregateException { InnerExceptions.Count: > 0 } retried && retried.InnerExceptions.All(Unavailable));
}
