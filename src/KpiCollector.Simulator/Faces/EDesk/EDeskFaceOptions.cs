namespace KpiCollector.Simulator.Faces.EDesk;

/// <summary>
/// The simulated eDesk account (<c>Simulator:EDesk</c>): the API token it accepts as a Bearer token, its time zone (the
/// date filter's and the timestamps'), and its rate limit, a token bucket (eDesk's: a burst of 60, refilled at 2 a
/// second). Simulator defaults, not secrets.
/// </summary>
public sealed class EDeskFaceOptions
{
    public string ApiToken { get; set; } = "simulator-edesk-token";

    /// <summary>The account's time zone, an IANA id. Default <c>America/New_York</c>, so that its days are not UTC's.</summary>
    public string TimeZone { get; set; } = "America/New_York";

    /// <summary>Requests a second the bucket refills. Default 2.</summary>
    public double RequestsPerSecond { get; set; } = 2;

    /// <summary>The bucket's size: requests that may come at once. Default 60.</summary>
    public int Burst { get; set; } = 60;
}
