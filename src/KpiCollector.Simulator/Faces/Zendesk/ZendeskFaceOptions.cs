namespace KpiCollector.Simulator.Faces.Zendesk;

/// <summary>
/// The credentials the simulated Zendesk account accepts (<c>Simulator:Zendesk</c>): an API token for an admin
/// e-mail (<c>{Email}/token:{ApiToken}</c>, Basic) or the same token as an OAuth bearer. Simulator defaults, not secrets.
/// </summary>
public sealed class ZendeskFaceOptions
{
    public string Email { get; set; } = "admin@simulator.test";

    public string ApiToken { get; set; } = "simulator-zendesk-token";

    /// <summary>The account budget its rate-limit headers advertise (Growth/Professional: 400 a minute).</summary>
    public int RequestsPerMinute { get; set; } = 400;
}
