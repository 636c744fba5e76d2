namespace KpiCollector.Sources.Zendesk;

/// <summary>The values of <c>KpiCollector:Sources:N:AuthMode</c> for Zendesk (docs/sources.md, "Zendesk facts").</summary>
public static class ZendeskAuth
{
    /// <summary>An API token: <c>Authorization: Basic base64("{email}/token:{token}")</c>.</summary>
    public const string Token = "token";

    /// <summary>An OAuth access token: <c>Authorization: Bearer {token}</c>.</summary>
    public const string OAuth = "oauth";

    public static IReadOnlyList<string> Modes { get; } = [Token, OAuth];
}
