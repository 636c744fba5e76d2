using Prometheus;

namespace KpiCollector.Metrics;

/// <summary>
/// A labelled gauge rebuilt on every publish: series set during the publish are kept, series not set are removed,
/// so a label value that disappears (a window removed, a KPI that became undefined) stops being exported instead of
/// repeating a stale value.
/// </summary>
internal sealed class GaugeFamily(Gauge gauge)
{
    private HashSet<LabelSet> _previous = [];
    private HashSet<LabelSet> _current = [];

    public void Set(double value, params string[] labels)
    {
        gauge.WithLabels(labels).Set(value);
        _current.Add(new LabelSet(labels));
    }

    /// <summary>Sets the series when the value is defined; an undefined KPI is not exported (never as 0).</summary>
    public void SetIfDefined(double? value, params string[] labels)
    {
        if (value is { } v && !double.IsNaN(v))
        {
            Set(v, labels);
        }
    }

    /// <summary>Removes the series the last publish set and this one did not.</summary>
    public void Commit()
    {
        foreach (var stale in _previous)
        {
            if (!_current.Contains(stale))
            {
                gauge.RemoveLabelled(stale.Values);
            }
        }

        (_previous, _current) = (_current, _previous);
        _current.Clear();
    }

    private sealed class LabelSet(string[] values) : IEquatable<LabelSet>
    {
        public string[] Values { get; } = values;

        public bool Equals(LabelSet? other) => other is not null && Values.AsSpan().SequenceEqual(other.Values);

        public override bool Equals(object? obj) => Equals(obj as LabelSet);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var v in Values)
            {
                hash.Add(v);
            }

            return hash.ToHashCode();
        }
    }
}
