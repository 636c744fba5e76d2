namespace KpiCollector.Core.Engine;

/// <summary>
/// One contribution of a record to the engine: a count or a duration at its event time. A duration carries its
/// sketch bin, computed once (every bucket and window it lands in needs it).
/// </summary>
internal readonly record struct KpiEvent(long AtMs, bool IsDist, int Measure, long ValueMs)
{
    public int Bin { get; } = IsDist ? QuantileSketch.BinOf(ValueMs) : 0;

    public static KpiEvent Count(DateTimeOffset at, Counter counter) =>
        new(at.ToUnixTimeMilliseconds(), false, (int)counter, 1);

    public static KpiEvent Duration(DateTimeOffset at, Dist dist, TimeSpan value) =>
        new(at.ToUnixTimeMilliseconds(), true, (int)dist, (long)value.TotalMilliseconds);
}
