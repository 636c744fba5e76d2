namespace KpiCollector.Simulator;

/// <summary>The few distributions the traffic model draws from, all on the simulation's single <see cref="Random"/>.</summary>
internal static class SimRandom
{
    public static bool Chance(this Random random, double probability) => random.NextDouble() < probability;

    public static double Uniform(this Random random, double min, double max) => min + (max - min) * random.NextDouble();

    /// <summary>A standard normal deviate (Box–Muller, one of the pair).</summary>
    public static double Normal(this Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>An exponential deviate with the given mean.</summary>
    public static double Exponential(this Random random, double mean) => -mean * Math.Log(1.0 - random.NextDouble());

    /// <summary>A lognormal duration: <paramref name="median"/> × e^(σZ), clamped to [min, max].</summary>
    public static TimeSpan LogNormal(this Random random, TimeSpan median, double sigma, TimeSpan min, TimeSpan max)
    {
        var ticks = median.Ticks * Math.Exp(sigma * random.Normal());
        return TimeSpan.FromTicks((long)Math.Clamp(ticks, min.Ticks, max.Ticks));
    }

    /// <summary>A duration drawn uniformly from [min, max].</summary>
    public static TimeSpan Between(this Random random, TimeSpan min, TimeSpan max) =>
        TimeSpan.FromTicks((long)random.Uniform(min.Ticks, max.Ticks));
}

/// <summary>A fixed discrete distribution: values with relative weights.</summary>
internal sealed class WeightedChoice<T>
{
    private readonly T[] _values;
    private readonly double[] _cumulative;

    public WeightedChoice(params (T Value, double Weight)[] items)
    {
        _values = items.Select(i => i.Value).ToArray();
        _cumulative = new double[items.Length];
        var total = items.Sum(i => i.Weight);
        var running = 0.0;
        for (var i = 0; i < items.Length; i++)
        {
            running += items[i].Weight / total;
            _cumulative[i] = running;
        }
    }

    public T Pick(Random random)
    {
        var u = random.NextDouble();
        for (var i = 0; i < _cumulative.Length - 1; i++)
        {
            if (u < _cumulative[i])
            {
                return _values[i];
            }
        }

        return _values[^1];
    }
}
