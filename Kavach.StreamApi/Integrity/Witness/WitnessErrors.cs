namespace Kavach.StreamApi.Integrity.Witness;

internal static class WitnessErrors
{
    /// <summary>The witness did not answer in time, could not be reached, or refused: an outage to report and retry, not a bug.</summary>
    public static bool Unavailable(Exception e) => e is Azure.RequestFailedException or Azure.Identity.AuthenticationFailedException
        or Azure.Identity.CredentialUnavailableException or IOException or UnauthorizedAccessException or TimeoutException
        or OperationCanceledException or HttpRequestException;
}
