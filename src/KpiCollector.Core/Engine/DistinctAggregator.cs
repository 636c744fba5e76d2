namespace KpiCollector.Core.Engine;

/// <summary>
/// Exact distinct counts over sliding windows (distinct requesters for tickets per customer): each bucket lists the
/// ids seen in it, each window keeps a multiset of the ids in its buckets. Same bucket arithmetic as
/// <see cref="SeriesAggregator{TKey}"/>.
/// </summary>
internal sealed class DistinctAggregator((KpiWindow Window, int Span)[] windows, int ringSize, long currentBucket)
{
    private readonly (long Index, List<int> Ids)?[] _ring = new (long, List<int>)?[ringSize];
    private readonly Dictionary<long, List<int>> _future = [];
    private readonly Dictionary<int, int>[] _windows = windows.Select(_ => new Dictionary<int, int>()).ToArray();
    private long _current = currentBucket;

    public int DistinctIn(int window) => _windows[window].Count;

    public void Apply(int id, long bucket, int sign)
    {
        if (bucket > _current)
        {
            if (!_future.TryGetValue(bucket, out var pending))
            {
                _future[bucket] = pending = [];
            }

            Change(pending, id, sign);
            return;
        }

        if (bucket <= _current - _ring.Length)
        {
            return;
        }

        var slot = Slot(bucket);
        if (_ring[slot] is not { } entry || entry.Index != bucket)
        {
            _ring[slot] = entry = (bucket, []);
        }

        Change(entry.Ids, id, sign);
        for (var w = 0; w < windows.Length; w++)
        {
            if (bucket > _current - windows[w].Span)
            {
                Count(_windows[w], id, sign);
            }
        }
    }

    public void AdvanceTo(long bucket)
    {
        if (bucket <= _current)
        {
            return;
        }

        var previous = _current;
        _current = bucket;
        if (bucket - previous >= _ring.Length)
        {
            Array.Clear(_ring);
        }
        else
        {
            for (var w = 0; w < windows.Length; w++)
            {
                for (var i = previous - windows[w].Span + 1; i <= bucket - windows[w].Span; i++)
                {
                    if (_ring[Slot(i)] is { } leaving && leaving.Index == i)
                    {
                        leaving.Ids.ForEach(id => Count(_windows[w], id, -1));
                    }
                }
            }
        }

        foreach (var index in _future.Keys.Where(k => k > previous && k <= bucket).ToList())
        {
            _future.Remove(index, out var ids);
            if (index > bucket - _ring.Length)
            {
                _ring[Slot(index)] = (index, ids!);
            }
        }

        if (bucket - previous >= _ring.Length)
        {
            Recompute();
            return;
        }

        for (var i = previous + 1; i <= bucket; i++)
        {
            if (_ring[Slot(i)] is { } arrived && arrived.Index == i)
            {
                for (var w = 0; w < windows.Length; w++)
                {
                    if (i > bucket - windows[w].Span)
                    {
                        arrived.Ids.ForEach(id => Count(_windows[w], id, +1));
                    }
                }
            }
        }
    }

    private void Recompute()
    {
        for (var w = 0; w < windows.Length; w++)
        {
            _windows[w].Clear();
            for (var i = _current - windows[w].Span + 1; i <= _current; i++)
            {
                if (_ring[Slot(i)] is { } entry && entry.Index == i)
                {
                    entry.Ids.ForEach(id => Count(_windows[w], id, +1));
                }
            }
        }
    }

    private static void Change(List<int> ids, int id, int sign)
    {
        if (sign > 0)
        {
            ids.Add(id);
        }
        else if (ids.LastIndexOf(id) is var i and >= 0)
        {
            ids[i] = ids[^1];
            ids.RemoveAt(ids.Count - 1);
        }
    }

    private static void Count(Dictionary<int, int> window, int id, int sign)
    {
        var n = window.GetValueOrDefault(id) + sign;
        if (n <= 0)
        {
            window.Remove(id);
        }
        else
        {
            window[id] = n;
        }
    }

    private int Slot(long index) => (int)(((index % _ring.Length) + _ring.Length) % _ring.Length);
}
