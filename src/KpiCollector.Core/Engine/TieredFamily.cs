namespace KpiCollector.Core.Engine;

/// <summary>
/// A keyed family of bucketed aggregates kept at two granularities: windows up to <see cref="TimeGrid.FineHorizon"/>
/// use fine buckets (default 1 min), longer windows coarse ones (default 10 min), so a 30-day window costs 4,320
/// buckets per series instead of 43,200. Each window is exact to its own bucket width.
/// </summary>
internal sealed class TieredFamily<TKey>
    where TKey : notnull
{
    private readonly TimeGrid _grid;
    private readonly BucketedFamily<TKey>? _fine;
    private readonly BucketedFamily<TKey>? _coarse;
    private readonly (bool Coarse, int Index)[] _map;

    public TieredFamily(MeasureLayout layout, IReadOnlyList<KpiWindow> windows, TimeGrid grid, long nowMs, TimeSpan? coarseRetention = null)
    {
        _grid = grid;
        var fine = windows.Where(w => !grid.IsCoarse(w)).ToList();
        var coarse = windows.Where(grid.IsCoarse).ToList();
        if (fine.Count > 0)
        {
            _fine = new BucketedFamily<TKey>(layout, Spans(fine, grid.FineMs), fine.Max(w => Span(w, grid.FineMs)), grid.FineBucket(nowMs));
        }

        var retention = Math.Max(coarse.Count > 0 ? coarse.Max(w => Span(w, grid.CoarseMs)) : 0, coarseRetention is { } r ? Span(r, grid.CoarseMs) : 0);
        if (retention > 0)
        {
            _coarse = new BucketedFamily<TKey>(layout, Spans(coarse, grid.CoarseMs), retention, grid.CoarseBucket(nowMs));
        }

        _map = windows.Select(w => grid.IsCoarse(w) ? (true, coarse.IndexOf(w)) : (false, fine.IndexOf(w))).ToArray();
        Windows = windows;
    }

    public IReadOnlyList<KpiWindow> Windows { get; }

    public IEnumerable<TKey> Keys => (_fine?.Series ?? _coarse!.Series).Select(s => s.Key);

    public void Apply(TKey key, in KpiEvent e, int sign)
    {
        _fine?.Apply(key, e, _grid.FineBucket(e.AtMs), sign);
        _coarse?.Apply(key, e, _grid.CoarseBucket(e.AtMs), sign);
    }

    /// <summary>Drops the series whose key matches, at both granularities.</summary>
    public void RemoveWhere(Func<TKey, bool> match)
    {
        _fine?.RemoveWhere(match);
        _coarse?.RemoveWhere(match);
    }

    /// <summary>The key's aggregators, looked up once for a record's many events (the hot path of every apply).</summary>
    public Handle Resolve(TKey key) => new(_grid, _fine?.Get(key), _coarse?.Get(key));

    public readonly struct Handle(TimeGrid grid, SeriesAggregator<TKey>? fine, SeriesAggregator<TKey>? coarse)
    {
        public void Apply(in KpiEvent e, int sign)
        {
            fine?.Apply(e, grid.FineBucket(e.AtMs), sign);
            coarse?.Apply(e, grid.CoarseBucket(e.AtMs), sign);
        }
    }

    public void AdvanceTo(long nowMs)
    {
        _fine?.AdvanceTo(_grid.FineBucket(nowMs));
        _coarse?.AdvanceTo(_grid.CoarseBucket(nowMs));
    }

    /// <summary>The running totals of window <paramref name="window"/> (index into <see cref="Windows"/>) for a key, or null if the key is unknown.</summary>
    public WindowTotals? Totals(TKey key, int window)
    {
        var (coarse, index) = _map[window];
        var family = coarse ? _coarse : _fine;
        return family is not null && family.TryGet(key, out var aggregator) ? (WindowTotals)aggregator.Windows[index] : null;
    }

    /// <summary>Sum of a counter over [from, to) on the coarse grid (e.g. the same hour of past weeks).</summary>
    public long SumCounter(TKey key, int counter, long fromMs, long toMs) =>
        _coarse is not null && _coarse.TryGet(key, out var aggregator)
            ? aggregator.SumCounter(counter, _grid.CoarseBucket(fromMs), _grid.CoarseBucket(toMs - 1))
            : 0;

    private static (KpiWindow, int)[] Spans(List<KpiWindow> windows, long bucketMs) => windows.Select(w => (w, Span(w, bucketMs))).ToArray();

    private static int Span(KpiWindow w, long bucketMs) => Span(w.Length, bucketMs);

    private static int Span(TimeSpan length, long bucketMs) => (int)Math.Ceiling(length.TotalMilliseconds / bucketMs);
}

/// <summary>The two bucket widths and which windows use which.</summary>
internal sealed record TimeGrid(long FineMs, long CoarseMs, TimeSpan FineHorizon)
{
    public bool IsCoarse(KpiWindow w) => w.Length > FineHorizon;

    public long WidthOf(KpiWindow w) => IsCoarse(w) ? CoarseMs : FineMs;

    public long FineBucket(long ms) => Floor(ms, FineMs);

    public long CoarseBucket(long ms) => Floor(ms, CoarseMs);

    public static long Floor(long ms, long width) => Math.DivRem(ms, width, out var rem) - (rem < 0 ? 1 : 0);
}
