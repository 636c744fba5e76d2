namespace KpiCollector.Simulator.Faces.SuperOffice;

/// <summary>
/// The simulated SuperOffice installation (<c>Simulator:SuperOffice</c>): the user and password its WebAPI accepts
/// with Basic authentication, as an Onsite installation does. Simulator defaults, not secrets.
/// </summary>
public sealed class SuperOfficeFaceOptions
{
    public string User { get; set; } = "simulator";

    public string Password { get; set; } = "simulator-superoffice-password";
}
