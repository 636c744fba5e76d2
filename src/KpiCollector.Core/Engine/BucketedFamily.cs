namespace KpiCollector.Core.Engine;

/// <summary>A keyed family of <see cref="SeriesAggregator{TKey}"/> sharing one layout, one set of windows and one clock.</summary>
internal sealed class BucketedFamily<TKey>(MeasureLayout layout, (KpiWindow Window, int Span)[] windows, int ringSize, long currentBucket)
    where TKey : notnull
{
    private readonly Dictionary<TKey, SeriesAggregator<TKey>> _series = [];
    private long _current = currentBucket;

    public IReadOnlyList<(KpiWindow Window, int Span)> Windows => windows;

    public IEnumerable<SeriesAggregator<TKey>> Series => _series.Values;

    public SeriesAggregator<TKey> Get(TKey key)
    {
        if (!_series.TryGetValue(key, out var aggregator))
        {
            _series[key] = aggregator = new SeriesAggregator<TKey>(key, layout, windows, ringSize, _current);
        }

        return aggregator;
    }

    public bool TryGet(TKey key, out SeriesAggregator<TKey> aggregator) => _series.TryGetValue(key, out aggregator!);

    /// <summary>Drops the series whose key matches: they are as if never applied.</summary>
    public void RemoveWhere(Func<TKey, bool> match)
    {
        foreach (var key in _series.Keys.Where(match).ToList())
        {
            _series.Remove(key);
        }
    }

    public void Apply(TKey key, in KpiEvent e, long bucket, int sign) => Get(key).Apply(e, bucket, sign);

    public void AdvanceTo(long bucket)
    {
        if (bucket <= _current)
        {
            return;
        }

        _current = bucket;
        foreach (var aggregator in _series.Values)
        {
            aggregator.AdvanceTo(bucket);
        }
    }
}
