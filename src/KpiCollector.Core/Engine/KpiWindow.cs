using KpiCollector.Core.Time;

namespace KpiCollector.Core.Engine;

/// <summary>A rolling window, named as configured (<c>1h</c>, <c>24h</c>, <c>7d</c>, ...): the <c>window</c> label value.</summary>
public sealed record KpiWindow(string Name, TimeSpan Length)
{
    public static KpiWindow Parse(string name) => new(name.Trim(), Durations.Parse(name));

    public static IReadOnlyList<KpiWindow> Defaults { get; } =
        [Parse("1h"), Parse("24h"), Parse("7d"), Parse("30d")];
}
