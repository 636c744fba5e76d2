using KpiCollector.Core.Records;

namespace KpiCollector.Core.Engine;

/// <summary>
/// Time-bucketed KPI aggregates per series (source × channel, plus <c>channel="all"</c>). Applying a change
/// retracts the old version's events and adds the new version's; a snapshot reads the windows' running totals,
/// so its cost depends on the number of series and windows, never on the number of records. Pure: no I/O, and the
/// clock comes from a <see cref="TimeProvider"/>. Thread-safe (one lock: applies and snapshots are short).
/// </summary>
public sealed class KpiEngine
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _bucketMs;
    private readonly (KpiWindow Window, int Span)[] _windows;
    private readonly int _ringSize;
    private readonly Dictionary<SeriesKey, SeriesAggregator> _series = [];
    private readonly List<KpiEvent> _events = [];
    private long _current;

    public KpiEngine(EngineOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Windows.Count == 0)
        {
            throw new ArgumentException("At least one window is required.", nameof(options));
        }

        if (options.BucketWidth < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("The bucket width must be at least one second.", nameof(options));
        }

        Options = options;
        _time = time;
        _bucketMs = (long)options.BucketWidth.TotalMilliseconds;
        _windows = options.Windows.Select(w =>
        {
            var ms = (long)w.Length.TotalMilliseconds;
            if (ms % _bucketMs != 0)
            {
                throw new ArgumentException($"Window {w.Name} is not a whole multiple of the bucket width {options.BucketWidth}.", nameof(options));
            }

            return (w, (int)(ms / _bucketMs));
        }).ToArray();
        _ringSize = _windows.Max(w => w.Span);
        _current = BucketOf(time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    public EngineOptions Options { get; }

    public void Apply(IEnumerable<RecordChange<Conversation>> changes)
    {
        lock (_gate)
        {
            Advance();
            foreach (var (old, current) in changes)
            {
                if (old == current)
                {
                    continue; // a re-polled page changes nothing
                }

                if (old is not null)
                {
                    Apply(old, -1);
                }

                Apply(current, +1);
            }
        }
    }

    public void Apply(IEnumerable<RecordChange<SurveyResponse>> changes)
    {
        lock (_gate)
        {
            Advance();
            foreach (var (old, current) in changes)
            {
                if (old == current)
                {
                    continue;
                }

                if (old is not null)
                {
                    Apply(old, -1);
                }

                Apply(current, +1);
            }
        }
    }

    public KpiSnapshot Snapshot()
    {
        lock (_gate)
        {
            var now = Advance();
            var series = new List<SeriesSnapshot>(_series.Count);
            foreach (var aggregator in _series.Values)
            {
                series.Add(SnapshotOf(aggregator));
            }

            series.Sort((a, b) => Compare(a.Key, b.Key));
            return new KpiSnapshot(now, series);
        }
    }

    private void Apply(Conversation c, int sign)
    {
        _events.Clear();
        Contributions.Of(c, _events);
        var channel = Channels.Normalize(c.Channel);
        foreach (var aggregator in SeriesOf(c.Source, channel))
        {
            ApplyEvents(aggregator, sign);
            if (!c.Status.IsEnded())
            {
                aggregator.Backlog[(int)c.Status] += sign;
                if (c.FirstResponseAt is null)
                {
                    aggregator.Unanswered += sign;
                }
            }
        }
    }

    private void Apply(SurveyResponse s, int sign)
    {
        _events.Clear();
        Contributions.Of(s, Options.Surveys, _events);
        if (_events.Count == 0)
        {
            return;
        }

        foreach (var aggregator in SeriesOf(s.Source, Channels.Normalize(s.Channel)))
        {
            ApplyEvents(aggregator, sign);
        }
    }

    private void ApplyEvents(SeriesAggregator aggregator, int sign)
    {
        foreach (var e in _events)
        {
            aggregator.Apply(e, BucketOf(e.AtMs), sign);
        }
    }

    private IEnumerable<SeriesAggregator> SeriesOf(string source, string channel)
    {
        yield return Get(new SeriesKey(source, channel));
        yield return Get(new SeriesKey(source, Channels.All));
    }

    private SeriesAggregator Get(SeriesKey key)
    {
        if (!_series.TryGetValue(key, out var aggregator))
        {
            _series[key] = aggregator = new SeriesAggregator(key, _windows, _ringSize, _current);
        }

        return aggregator;
    }

    private DateTimeOffset Advance()
    {
        var now = _time.GetUtcNow();
        var bucket = BucketOf(now.ToUnixTimeMilliseconds());
        if (bucket > _current)
        {
            _current = bucket;
            foreach (var aggregator in _series.Values)
            {
                aggregator.AdvanceTo(bucket);
            }
        }

        return now;
    }

    private static SeriesSnapshot SnapshotOf(SeriesAggregator aggregator)
    {
        var windows = new WindowSnapshot[aggregator.Windows.Count];
        for (var i = 0; i < windows.Length; i++)
        {
            var w = aggregator.Windows[i];
            var dists = new DistSummary[Measures.DistCount];
            for (var d = 0; d < dists.Length; d++)
            {
                var count = w.DistCount[d];
                var bins = w.Bins(d);
                dists[d] = count <= 0 || bins is null
                    ? default
                    : new DistSummary(
                        count,
                        w.DistSumMs[d] / 1000.0 / count,
                        QuantileSketch.Quantile(bins, count, 0.50),
                        QuantileSketch.Quantile(bins, count, 0.90),
                        QuantileSketch.Quantile(bins, count, 0.95));
            }

            windows[i] = new WindowSnapshot(w.Window, (long[])w.Counters.Clone(), dists);
        }

        return new SeriesSnapshot(aggregator.Key, windows, (long[])aggregator.Backlog.Clone(), aggregator.Unanswered);
    }

    private long BucketOf(long unixMs) => Math.DivRem(unixMs, _bucketMs, out var rem) - (rem < 0 ? 1 : 0);

    private static int Compare(SeriesKey a, SeriesKey b)
    {
        var c = string.CompareOrdinal(a.Source, b.Source);
        if (c != 0) { return c; }
        c = string.CompareOrdinal(a.Channel, b.Channel);
        return c != 0 ? c : string.CompareOrdinal(a.Team, b.Team);
    }
}
