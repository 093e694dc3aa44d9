using System.Diagnostics;

namespace Kavach.StreamApi.Diagnostics;

/// <summary>The service's own spans (source <c>Kavach.StreamApi</c>, exported with the ASP.NET Core and Npgsql ones).</summary>
public static class StreamTracing
{
    public static readonly ActivitySource Source = new(StreamMetrics.MeterName);
}
