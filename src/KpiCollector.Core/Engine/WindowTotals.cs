namespace KpiCollector.Core.Engine;

/// <summary>The running sum of the buckets inside one window of one series, kept up to date incrementally.</summary>
internal sealed class WindowTotals(KpiWindow window, int bucketSpan, MeasureLayout layout)
{
    public KpiWindow Window { get; } = window;

    /// <summary>How many buckets the window spans, the current one included.</summary>
    public int BucketSpan { get; } = bucketSpan;

    public readonly long[] Counters = new long[layout.Counters];
    public readonly long[] DistCount = new long[layout.Dists];
    public readonly long[] DistSumMs = new long[layout.Dists];
    private readonly int[]?[] _bins = new int[]?[layout.Dists];

    public int[]? Bins(int dist) => _bins[dist];

    public void Apply(in KpiEvent e, int sign)
    {
        if (!e.IsDist)
        {
            Counters[e.Measure] += sign * e.ValueMs;
            return;
        }

        DistCount[e.Measure] += sign;
        DistSumMs[e.Measure] += sign * e.ValueMs;
        (_bins[e.Measure] ??= new int[QuantileSketch.BinCount])[e.Bin] += sign;
    }

    public void Add(Bucket bucket, int sign)
    {
        for (var i = 0; i < Counters.Length; i++)
        {
            Counters[i] += sign * bucket.Counters[i];
        }

        for (var d = 0; d < DistCount.Length; d++)
        {
            DistCount[d] += sign * bucket.DistCount[d];
            DistSumMs[d] += sign * bucket.DistSumMs[d];
        }

        foreach (var entry in bucket.SketchEntries)
        {
            var (dist, bin) = Bucket.Unpack(entry);
            (_bins[dist] ??= new int[QuantileSketch.BinCount])[bin] += sign;
        }
    }

    public void Clear()
    {
        Array.Clear(Counters);
        Array.Clear(DistCount);
        Array.Clear(DistSumMs);
        foreach (var bins in _bins)
        {
            if (bins is not null)
            {
                Array.Clear(bins);
            }
        }
    }
}
