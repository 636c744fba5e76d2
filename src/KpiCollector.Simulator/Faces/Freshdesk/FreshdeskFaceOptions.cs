namespace KpiCollector.Simulator.Faces.Freshdesk;

/// <summary>The API key the simulated Freshdesk account accepts (<c>Simulator:Freshdesk</c>), sent as <c>{ApiKey}:X</c>. A simulator default, not a secret.</summary>
public sealed class FreshdeskFaceOptions
{
    public string ApiKey { get; set; } = "simulator-freshdesk-key";

    /// <summary>The account budget its rate-limit headers advertise (Growth: 200 a minute); embeds cost an extra credit.</summary>
    public int RequestsPerMinute { get; set; } = 200;
}
