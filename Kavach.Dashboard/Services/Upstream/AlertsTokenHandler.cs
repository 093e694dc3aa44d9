namespace Kavach.Dashboard.Services.Upstream;

/// <summary>
/// Adds the console's token to an alerts request: the <c>alerts:write</c> one to writes, the <c>events:read</c> one to
/// reads, so neither token holds more than its calls need.
/// </summary>
public sealed class AlertsTokenHandler(ServiceTokenProvider tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization ??= new("Bearer", request.Method == HttpMethod.Get
            ? await tokens.GetTokenAsync(cancellationToken)
            : await tokens.GetAlertsTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}
