namespace Kavach.DevIdentity;

/// <summary>A confidential client (the console): its id, secret and the exact redirect URIs it may use.</summary>
public sealed class DevClient
{
    public string Id { get; set; } = "";

    public string? Secret { get; set; }

    public List<string> RedirectUris { get; set; } = [];

    public List<string> PostLogoutRedirectUris { get; set; } = [];
}
