using System.Net;
using Microsoft.AspNetCore.Http;

namespace Kavach.ServiceDefaults.Limits;

/// <summary>
/// What per-address limits count a client under: an IPv4 address as it is, an IPv6 address by its /64 network. One
/// subscriber commonly holds a whole /64, so counting single IPv6 addresses would hand it billions of buckets.
/// </summary>
public static class ClientAddress
{
    public const string Unknown = "unknown";

    /// <summary>The client as the request's connection (or, behind a trusted ingress, the forwarded address) says.</summary>
    public static string KeyOf(HttpContext context) => KeyOf(context.Connection.RemoteIpAddress);

    public static string KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var network = address.GetAddressBytes();
        network.AsSpan(8).Clear();
        return $"{new IPAddress(network)}/64";
    }
}
