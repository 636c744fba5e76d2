namespace KpiCollector.Simulator.Faces.CmCom;

/// <summary>
/// The simulated CM.com Mobile Service Cloud (Agent Inbox, formerly ROBIN) account (<c>Simulator:CmCom</c>): the API
/// key and secret its OData API accepts with Basic authentication. Simulator defaults, not secrets.
/// </summary>
public sealed class CmComFaceOptions
{
    public string ApiKey { get; set; } = "simulator-cmcom-key";

    public string ApiSecret { get; set; } = "simulator-cmcom-secret";
}
