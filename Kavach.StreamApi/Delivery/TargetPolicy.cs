using System.Net;
using System.Net.Sockets;
using Kavach.StreamApi.Options;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// Where the service may send a request on a destination's behalf (against SSRF: a webhook URL must not reach the
/// service's own network). Refused: private, loopback, link-local, unique-local, shared (CGNAT), multicast, reserved
/// and unspecified addresses, in IPv4, IPv6 and the IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) —
/// unless inside <see cref="DeliveryOptions.AllowedPrivateTargets"/>. The engine checks the address it actually
/// connects to (after DNS, so a name that later resolves elsewhere gains nothing); the APIs check a URL when it is
/// created or changed.
/// </summary>
public sealed class TargetPolicy
{
    private static readonly IPNetwork[] Refused =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this network", unspecified
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),    // shared address space (carrier-grade NAT)
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),   // link-local, cloud metadata endpoints
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, broadcast
        IPNetwork.Parse("::/128"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("::/96"),            // IPv4-compatible (deprecated)
        IPNetwork.Parse("100::/64"),         // discard-only
        IPNetwork.Parse("fc00::/7"),         // unique-local
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"),         // multicast
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly IPNetwork[] _allowed;
    private readonly bool _plainHttpAnywhere;

    public TargetPolicy(DeliveryOptions options, IHostEnvironment environment)
        : this(options.AllowedPrivateTargets, environment.IsDevelopment())
    {
    }

    public TargetPolicy(IEnumerable<string> allowedPrivateTargets, bool plainHttpAnywhere)
    {
        _allowed = [.. allowedPrivateTargets.Select(ParseTarget)];
        _plainHttpAnywhere = plainHttpAnywhere;
    }

    /// <summary>An address or CIDR range of <see cref="DeliveryOptions.AllowedPrivateTargets"/>; null when it is neither.</summary>
    public static bool TryParseTarget(string text, out IPNetwork network)
    {
        var trimmed = text.Trim();
        if (!trimmed.Contains('/') && IPAddress.TryParse(trimmed, out var single))
        {
            network = new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return IPNetwork.TryParse(trimmed, out network);
    }

    private static IPNetwork ParseTarget(string text) => TryParseTarget(text, out var network)
        ? network
        : throw new FormatException($"{DeliveryOptions.Section}:{nameof(DeliveryOptions.AllowedPrivateTargets)}: '{text}' is neither an address nor a CIDR range.");

    /// <summary>Null when the service may connect to <paramref name="address"/>; otherwise why not, for last_error and a 400.</summary>
    public string? Refusal(IPAddress address)
    {
        if (IsAllowListed(address))
        {
            return null;
        }

        var kind = Classify(address);
        return kind is null
            ? null
            : $"{address} is a {kind} address; the service sends only to public addresses (allow one with {DeliveryOptions.Section}:{nameof(DeliveryOptions.AllowedPrivateTargets)})";
    }

    public bool IsAllowed(IPAddress address) => Refusal(address) is null;

    /// <summary>
    /// Whether a destination URL may be stored: absolute, https (http only in Development or to an allow-listed
    /// address), no credentials in it, and not an address <see cref="Refusal(IPAddress)"/> refuses. A name is checked
    /// again with every address it resolves to at send time; <see cref="CheckAsync"/> also resolves it now.
    /// </summary>
    public string? Check(Uri? url)
    {
        if (url is null || !url.IsAbsoluteUri)
        {
            return "The URL must be absolute, such as https://receiver.example.com/kavach.";
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return "The URL must not carry credentials (user:password@); the receiver verifies the signature instead.";
        }

        if (!string.IsNullOrEmpty(url.Fragment))
        {
            return "The URL must not have a fragment (#…).";
        }

        var literal = IPAddress.TryParse(url.IdnHost, out var address) ? address : null;
        if (url.Scheme == Uri.UriSchemeHttp)
        {
            if (!_plainHttpAnywhere && (literal is null || !IsAllowListed(literal)))
            {
                return "The URL must use https (http is accepted only in Development or to an address in " +
                       $"{DeliveryOptions.Section}:{nameof(DeliveryOptions.AllowedPrivateTargets)}).";
            }
        }
        else if (url.Scheme != Uri.UriSchemeHttps)
        {
            return "The URL must use https.";
        }

        if (literal is not null)
        {
            return Refusal(literal) is { } refusal ? $"The URL's host {refusal}." : null;
        }

        if (url.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || url.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return Refusal(IPAddress.Loopback) is { } refusal ? $"The URL's host {refusal}." : null;
        }

        return null;
    }

    /// <summary><see cref="Check"/>, and every address the host resolves to now (a name that does not resolve yet is accepted).</summary>
    public async Task<string?> CheckAsync(Uri? url, CancellationToken cancellationToken)
    {
        if (Check(url) is { } refusal)
        {
            return refusal;
        }

        if (IPAddress.TryParse(url!.IdnHost, out _))
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return null;
        }

        return addresses.Select(Refusal).FirstOrDefault(r => r is not null) is { } resolved
            ? $"The URL's host {url.IdnHost} resolves to {resolved}."
            : null;
    }

    private bool IsAllowListed(IPAddress address)
    {
        var mapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in _allowed)
        {
            if (network.Contains(address) || network.Contains(mapped))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What kind of non-public address this is, or null for a public one.</summary>
    internal static string? Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && (Nat64.Contains(address) || SixToFour.Contains(address)))
        {
            // An IPv4 address carried inside: it is what the packets reach in the end.
            var bytes = address.GetAddressBytes();
            var embedded = Nat64.Contains(address) ? new IPAddress(bytes.AsSpan(12, 4)) : new IPAddress(bytes.AsSpan(2, 4));
            return Classify(embedded);
        }

        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return "non-IP";
        }

        foreach (var network in Refused)
        {
            if (network.Contains(address))
            {
                return Name(network, address);
            }
        }

        return null;
    }

    private static string Name(IPNetwork network, IPAddress address)
    {
        if (IPAddress.IsLoopback(address))
        {
            return "loopback";
        }

        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || network.BaseAddress.Equals(IPAddress.Any))
        {
            return "unspecified";
        }

        if (address.IsIPv6LinkLocal || network.BaseAddress.Equals(IPAddress.Parse("169.254.0.0")))
        {
            return "link-local";
        }

        if (address.IsIPv6Multicast || network.BaseAddress.Equals(IPAddress.Parse("224.0.0.0")))
        {
            return "multicast";
        }

        if (address.IsIPv6UniqueLocal)
        {
            return "unique-local";
        }

        return network.BaseAddress.ToString() switch
        {
            "10.0.0.0" or "172.16.0.0" or "192.168.0.0" or "fec0::" => "private",
            "100.64.0.0" => "shared (carrier-grade NAT)",
            _ => "reserved",
        };
    }
}
