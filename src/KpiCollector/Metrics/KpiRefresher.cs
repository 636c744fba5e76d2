using System.Diagnostics;
using KpiCollector.Core.Engine;

namespace KpiCollector.Metrics;

/// <summary>Takes an engine snapshot and publishes it: what the refresh job and a finished poll call.</summary>
public sealed class KpiRefresher(KpiEngine engine, PrometheusExporter exporter)
{
    private readonly Lock _gate = new();

    public void Refresh()
    {
        lock (_gate)
        {
            var started = Stopwatch.GetTimestamp();
            var snapshot = engine.Snapshot();
            exporter.PublishKpis(snapshot);
            exporter.RecordRefreshDuration(Stopwatch.GetElapsedTime(started));
        }
    }
}
