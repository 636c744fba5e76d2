namespace KpiCollector.Core.Engine;

/// <summary>
/// What happened in one time bucket of one series: counters, and each distribution's exact count and sum with
/// its sketch bins kept sparse (most buckets hold a handful of values).
/// </summary>
internal sealed class Bucket(long index, MeasureLayout layout)
{
    public long Index { get; } = index;
    public readonly long[] Counters = new long[layout.Counters];
    public readonly long[] DistCount = new long[layout.Dists];
    public readonly long[] DistSumMs = new long[layout.Dists];

    /// <summary>Packed (dist, bin) pairs, one entry per value; duplicates allowed.</summary>
    public readonly List<int> SketchEntries = new(8);

    public static int Pack(int dist, int bin) => (dist << 16) | bin;

    public static (int Dist, int Bin) Unpack(int entry) => (entry >> 16, entry & 0xFFFF);

    public void Apply(in KpiEvent e, int sign)
    {
        if (!e.IsDist)
        {
            Counters[e.Measure] += sign * e.ValueMs;
            return;
        }

        DistCount[e.Measure] += sign;
        DistSumMs[e.Measure] += sign * e.ValueMs;
        var entry = Pack(e.Measure, e.Bin);
        if (sign > 0)
        {
            SketchEntries.Add(entry);
        }
        else
        {
            var i = SketchEntries.LastIndexOf(entry);
            if (i >= 0)
            {
                SketchEntries[i] = SketchEntries[^1];
                SketchEntries.RemoveAt(SketchEntries.Count - 1);
            }
        }
    }
}
