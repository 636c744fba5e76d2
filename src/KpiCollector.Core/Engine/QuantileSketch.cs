namespace KpiCollector.Core.Engine;

/// <summary>
/// Logarithmic bins in the manner of DDSketch: a duration in milliseconds maps to bin
/// <c>ceil(log_γ(ms)) + 1</c> with γ = 1.02, and a bin is read back as <c>2γ^k / (γ + 1)</c>. Any value read back
/// is within (γ − 1)/(γ + 1) ≈ 0.99 % of every value in its bin, so percentiles are within 1 % relative error of
/// exact. Bins only count, so they can be added and retracted as records change, and windows are sums of buckets.
/// </summary>
internal static class QuantileSketch
{
    private const double Gamma = 1.02;
    private static readonly double LogGamma = Math.Log(Gamma);

    /// <summary>Bin 0 holds values of zero (and below: callers reject negative durations first).</summary>
    public const int BinCount = 1300; // covers up to γ^1298 ms ≈ 1.4e11 ms ≈ 4.5 years

    public static int BinOf(long milliseconds)
    {
        if (milliseconds <= 0)
        {
            return 0;
        }

        var k = (int)Math.Ceiling(Math.Log(milliseconds) / LogGamma - 1e-9);
        return Math.Clamp(k + 1, 1, BinCount - 1);
    }

    public static double ValueOfBinSeconds(int bin)
    {
        if (bin == 0)
        {
            return 0;
        }

        var k = bin - 1;
        return k == 0 ? 0.001 : 2 * Math.Pow(Gamma, k) / (Gamma + 1) / 1000.0;
    }

    /// <summary>Nearest-rank quantile: the value of rank ceil(q·n) in ascending order.</summary>
    public static double Quantile(int[] bins, long count, double q)
    {
        var rank = Math.Max(1, (long)Math.Ceiling(q * count));
        long seen = 0;
        for (var i = 0; i < bins.Length; i++)
        {
            seen += bins[i];
            if (seen >= rank)
            {
                return ValueOfBinSeconds(i);
            }
        }

        return ValueOfBinSeconds(bins.Length - 1);
    }
}
