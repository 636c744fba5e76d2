namespace KpiCollector.Simulator.Faces.Trengo;

/// <summary>
/// The simulated Trengo account (<c>Simulator:Trengo</c>): the personal access token its API accepts as
/// <c>Authorization: Bearer</c>, and the per-token budget it enforces. Simulator defaults, not secrets.
/// </summary>
public sealed class TrengoFaceOptions
{
    public string Token { get; set; } = "simulator-trengo-token";

    /// <summary>Requests a minute per token; the next one in the same minute is answered 429 with <c>Retry-After</c>. Trengo's is 120.</summary>
    public int RequestsPerMinute { get; set; } = 120;
}
