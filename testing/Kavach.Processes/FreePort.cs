using System.Net;
using System.Net.Sockets;

namespace Kavach.Processes;

public static class FreePort
{
    /// <summary>A port on 127.0.0.1 that nothing listens on right now (the kernel's choice for port 0).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
