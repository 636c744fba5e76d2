namespace KpiCollector.Sources.Rest;

/// <summary>
/// The settings of a <c>Platform: rest</c> source, bound from <c>KpiCollector:Sources:N:Rest</c>. The API credential
/// itself is the source's common <c>ApiToken</c>/<c>ApiTokenFile</c> (and <c>Email</c>); see docs/profiles.md.
/// </summary>
public sealed class RestSettings
{
    /// <summary>A built-in profile name (<c>freshdesk</c>) or the path of a profile file (YAML or JSON).</summary>
    public string? Profile { get; set; }

    /// <summary>Values for the profile's template variables, e.g. <c>subdomain</c>, <c>account_id</c>.</summary>
    public Dictionary<string, string> Variables { get; set; } = [];

    /// <summary>
    /// Per-account additions to the profile's value maps, by field name then value, e.g.
    /// <c>Maps:channel:101 = sms</c> for a custom source code; they win over the profile's own entries.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Maps { get; set; } = [];

    /// <summary>The OAuth2 client id (not a secret) of an <c>oauth2_client_credentials</c> or <c>oauth2_refresh_token</c> authenticator.</summary>
    public string? ClientId { get; set; }

    /// <summary>The OAuth2 client secret: from the environment only (a secret, refused from settings files and the command line).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>A file holding the OAuth2 client secret, instead of <see cref="ClientSecret"/>.</summary>
    public string? ClientSecretFile { get; set; }

    /// <summary>
    /// The initial OAuth2 refresh token of an <c>oauth2_refresh_token</c> authenticator: from the environment only (a
    /// secret). A rotated token the endpoint returns is kept in the store and preferred while this value is unchanged.
    /// </summary>
    public string? RefreshToken { get; set; }

    /// <summary>A file holding the initial OAuth2 refresh token, instead of <see cref="RefreshToken"/>.</summary>
    public string? RefreshTokenFile { get; set; }
}
