namespace KpiCollector.Core.Engine;

/// <summary>
/// The time-bucketed aggregates of one series. Buckets cover the longest window; every window keeps a running
/// total, so reading a window costs nothing and advancing the clock by k buckets costs O(k) per window.
/// Events stamped after the current bucket wait in <see cref="_future"/> until the clock reaches them.
/// </summary>
internal sealed class SeriesAggregator<TKey>
{
    private readonly MeasureLayout _layout;
    private readonly Bucket?[] _ring;
    private readonly Dictionary<long, Bucket> _future = [];
    private readonly WindowTotals[] _windows;
    private long _current;

    public SeriesAggregator(TKey key, MeasureLayout layout, IReadOnlyList<(KpiWindow Window, int Span)> windows, int ringSize, long currentBucket)
    {
        Key = key;
        _layout = layout;
        _ring = new Bucket?[ringSize];
        _windows = windows.Select(w => new WindowTotals(w.Window, w.Span, layout)).ToArray();
        _current = currentBucket;
    }

    public TKey Key { get; }

    public IReadOnlyList<WindowTotals> Windows => _windows;

    /// <summary>Sum of one counter over the buckets in [from, to] (bucket indices), e.g. the same hour of past weeks.</summary>
    public long SumCounter(int counter, long from, long to)
    {
        long sum = 0;
        for (var i = Math.Max(from, _current - _ring.Length + 1); i <= Math.Min(to, _current); i++)
        {
            if (TryGet(i, out var bucket))
            {
                sum += bucket.Counters[counter];
            }
        }

        return sum;
    }

    public void Apply(in KpiEvent e, long bucketIndex, int sign)
    {
        if (bucketIndex > _current)
        {
            if (!_future.TryGetValue(bucketIndex, out var pending))
            {
                _future[bucketIndex] = pending = new Bucket(bucketIndex, _layout);
            }

            pending.Apply(e, sign);
            return;
        }

        if (bucketIndex <= _current - _ring.Length)
        {
            return; // older than the longest window: no window can hold it
        }

        var slot = Slot(bucketIndex);
        var bucket = _ring[slot];
        if (bucket is null || bucket.Index != bucketIndex)
        {
            _ring[slot] = bucket = new Bucket(bucketIndex, _layout);
        }

        bucket.Apply(e, sign);
        foreach (var w in _windows)
        {
            if (bucketIndex > _current - w.BucketSpan)
            {
                w.Apply(e, sign);
            }
        }
    }

    public void AdvanceTo(long bucketIndex)
    {
        if (bucketIndex <= _current)
        {
            return;
        }

        var previous = _current;
        _current = bucketIndex;
        if (bucketIndex - previous >= _ring.Length)
        {
            Array.Clear(_ring);
            PromoteFuture(previous, bucketIndex);
            RecomputeWindows();
            return;
        }

        foreach (var w in _windows)
        {
            for (var i = previous - w.BucketSpan + 1; i <= bucketIndex - w.BucketSpan; i++)
            {
                if (TryGet(i, out var leaving))
                {
                    w.Add(leaving, -1);
                }
            }
        }

        foreach (var arrived in PromoteFuture(previous, bucketIndex))
        {
            foreach (var w in _windows)
            {
                if (arrived.Index > bucketIndex - w.BucketSpan)
                {
                    w.Add(arrived, +1);
                }
            }
        }
    }

    private List<Bucket> PromoteFuture(long from, long to)
    {
        var arrived = new List<Bucket>();
        if (_future.Count == 0)
        {
            return arrived;
        }

        foreach (var (index, bucket) in _future)
        {
            if (index > from && index <= to)
            {
                arrived.Add(bucket);
            }
        }

        foreach (var bucket in arrived)
        {
            _future.Remove(bucket.Index);
            if (bucket.Index > to - _ring.Length)
            {
                _ring[Slot(bucket.Index)] = bucket;
            }
        }

        return arrived;
    }

    private void RecomputeWindows()
    {
        foreach (var w in _windows)
        {
            w.Clear();
            for (var i = _current - w.BucketSpan + 1; i <= _current; i++)
            {
                if (TryGet(i, out var bucket))
                {
                    w.Add(bucket, +1);
                }
            }
        }
    }

    private bool TryGet(long index, out Bucket bucket)
    {
        bucket = _ring[Slot(index)]!;
        return bucket is not null && bucket.Index == index;
    }

    private int Slot(long index) => (int)(((index % _ring.Length) + _ring.Length) % _ring.Length);
}
