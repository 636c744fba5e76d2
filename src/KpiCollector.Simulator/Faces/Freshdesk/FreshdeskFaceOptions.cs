namespace KpiCollector.Simulator.Faces.Freshdesk;

/// <summary>The API key the simulated Freshdesk account accepts (<c>Simulator:Freshdesk</c>), sent as <c>{ApiKey}:X</c>. A simulator default, not a secret.</summary>
public sealed class FreshdeskFaceOptions
{
    public string ApiKey { get; set; } = "simulator-freshdesk-key";

    /// <summary>
    /// A second, lower-privileged key: an agent with restricted ticket access. <c>/api/v2/agents/me</c> says
    /// <c>ticket_scope</c> 3, and, as none of the simulated tickets is assigned to that agent, the tickets and ratings
    /// lists are empty and one ticket answers 403, as Freshdesk does for a restricted agent.
    /// </summary>
    public string RestrictedApiKey { get; set; } = "simulator-freshdesk-restricted-key";

    /// <summary>The account budget its rate-limit headers advertise (Growth: 200 a minute); embeds cost an extra credit.</summary>
    public int RequestsPerMinute { get; set; } = 200;
}
