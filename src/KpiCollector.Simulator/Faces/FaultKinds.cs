namespace KpiCollector.Simulator.Faces;

/// <summary>The fault names used on the control endpoint.</summary>
public static class FaultKinds
{
    private static readonly Dictionary<string, FaultKind> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["rate_limit"] = FaultKind.RateLimit,
        ["server_error"] = FaultKind.ServerError,
        ["slow"] = FaultKind.Slow,
        ["malformed"] = FaultKind.Malformed,
        ["expired_token"] = FaultKind.ExpiredToken,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryParse(string? name, out FaultKind kind) => ByName.TryGetValue(name ?? "", out kind);

    public static string Name(FaultKind kind) => ByName.First(kv => kv.Value == kind).Key;
}
