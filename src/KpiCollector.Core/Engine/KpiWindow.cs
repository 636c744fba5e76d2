using KpiCollector.Core.Time;

namespace KpiCollector.Core.Engine;

/// <summary>A rolling window, named as configured (<c>1h</c>, <c>24h</c>, <c>7d</c>, ...): the <c>window</c> label value.</summary>
public sealed record KpiWindow(string Name, TimeSpan Length)
{
    public static KpiWindow Parse(string name) => new(name.Trim(), Durations.Parse(name));

    public static IReadOnlyList<KpiWindow> Defaults { get; } =
        [Parse("1h"), Parse("24h"), Parse("7d"), Parse("30d")];

    /// <summary>
    /// The SLA windows: 5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d; 2h is the short window of the 1d ticket alert pair
    /// (docs/metrics.md, "SLA alerting (burn rates)" and "Departures from the original contract").
    /// </summary>
    public static IReadOnlyList<KpiWindow> SlaDefaults { get; } =
        [Parse("5m"), Parse("30m"), Parse("1h"), Parse("2h"), Parse("6h"), Parse("1d"), Parse("3d"), Parse("30d")];
}
