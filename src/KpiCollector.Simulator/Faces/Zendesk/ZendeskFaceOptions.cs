namespace KpiCollector.Simulator.Faces.Zendesk;

/// <summary>
/// The credentials the simulated Zendesk account accepts (<c>Simulator:Zendesk</c>): an API token for an admin
/// e-mail (<c>{Email}/token:{ApiToken}</c>, Basic) or the same token as an OAuth bearer. Simulator defaults, not secrets.
/// </summary>
public sealed class ZendeskFaceOptions
{
    public const string CsatLegacy = "legacy";
    public const string CsatSurveyResponses = "survey_responses";

    public string Email { get; set; } = "admin@simulator.test";

    public string ApiToken { get; set; } = "simulator-zendesk-token";

    /// <summary>
    /// A second, lower-privileged credential: an agent's e-mail and API token (or the token as a bearer). Zendesk
    /// accepts it, <c>/api/v2/users/me.json</c> says role <c>agent</c>, and the admin-only endpoints (the incremental
    /// export, satisfaction ratings, survey responses) answer 403, as they do for a real agent.
    /// </summary>
    public string AgentEmail { get; set; } = "agent@simulator.test";

    public string AgentApiToken { get; set; } = "simulator-zendesk-agent-token";

    /// <summary>The account budget its rate-limit headers advertise (Growth/Professional: 400 a minute).</summary>
    public int RequestsPerMinute { get; set; } = 400;

    /// <summary>
    /// The CSAT system the simulated account runs, one or the other as in Zendesk: <c>legacy</c> (default: answered
    /// CSAT surveys are served as <c>satisfaction_ratings</c>, and the account has no survey responses) or
    /// <c>survey_responses</c> (they are served as <c>guide/survey_responses</c>, and there are no legacy ratings).
    /// </summary>
    public string Csat { get; set; } = CsatLegacy;
}
