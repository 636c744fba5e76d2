namespace KpiCollector.Simulator.Faces.LiveAgent;

/// <summary>
/// The simulated LiveAgent account (<c>Simulator:LiveAgent</c>): the API key its v3 API accepts in the <c>apikey</c>
/// header. A simulator default, not a secret.
/// </summary>
public sealed class LiveAgentFaceOptions
{
    public string ApiKey { get; set; } = "simulator-liveagent-apikey";
}
