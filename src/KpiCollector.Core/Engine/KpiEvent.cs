namespace KpiCollector.Core.Engine;

/// <summary>One contribution of a record to the engine: a count or a duration at its event time, in a series.</summary>
internal readonly record struct KpiEvent(long AtMs, bool IsDist, int Measure, long ValueMs)
{
    public static KpiEvent Count(DateTimeOffset at, Counter counter) =>
        new(at.ToUnixTimeMilliseconds(), false, (int)counter, 1);

    public static KpiEvent Duration(DateTimeOffset at, Dist dist, TimeSpan value) =>
        new(at.ToUnixTimeMilliseconds(), true, (int)dist, (long)value.TotalMilliseconds);
}
