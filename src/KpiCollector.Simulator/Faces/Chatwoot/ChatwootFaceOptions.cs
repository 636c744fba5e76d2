namespace KpiCollector.Simulator.Faces.Chatwoot;

/// <summary>The simulated Chatwoot install (<c>Simulator:Chatwoot</c>): its account, the access token it accepts, its version. Simulator defaults, not secrets.</summary>
public sealed class ChatwootFaceOptions
{
    public int AccountId { get; set; } = 1;

    public string ApiToken { get; set; } = "simulator-chatwoot-token";

    /// <summary>
    /// A second, lower-privileged token: a user with role <c>agent</c> in the account. <c>/api/v1/profile</c> says so,
    /// and the CSAT survey responses, which Chatwoot reserves for administrators, answer 401.
    /// </summary>
    public string AgentApiToken { get; set; } = "simulator-chatwoot-agent-token";

    /// <summary>What <c>GET /api</c> reports.</summary>
    public string Version { get; set; } = "4.13.0";
}
