namespace KpiCollector.Simulator.Faces.ServiceNow;

/// <summary>
/// The simulated ServiceNow instance (<c>Simulator:ServiceNow</c>): the integration user and password its Table API
/// accepts with Basic authentication. Simulator defaults, not secrets.
/// </summary>
public sealed class ServiceNowFaceOptions
{
    public string User { get; set; } = "simulator";

    public string Password { get; set; } = "simulator-servicenow-password";
}
