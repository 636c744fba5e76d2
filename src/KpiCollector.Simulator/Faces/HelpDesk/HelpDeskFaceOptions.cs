namespace KpiCollector.Simulator.Faces.HelpDesk;

/// <summary>
/// The simulated HelpDesk.com account (<c>Simulator:HelpDesk</c>): the account id and personal access token its API
/// accepts with Basic authentication (<c>account_id:token</c>). Simulator defaults, not secrets.
/// </summary>
public sealed class HelpDeskFaceOptions
{
    public string AccountId { get; set; } = "simulator-helpdesk-account";

    public string Token { get; set; } = "simulator-helpdesk-token";
}
