using System.Diagnostics;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Sla;

namespace KpiCollector.Metrics;

/// <summary>Takes an engine snapshot and the running SLA clocks and publishes them: what the refresh job and a finished poll call.</summary>
public sealed class KpiRefresher(KpiEngine engine, SlaEvaluator sla, PrometheusExporter exporter, TimeProvider time)
{
    private readonly Lock _gate = new();

    public void Refresh()
    {
        lock (_gate)
        {
            var started = Stopwatch.GetTimestamp();
            var snapshot = engine.Snapshot();
            exporter.Publish(snapshot, sla.Open(time.GetUtcNow()));
            exporter.RecordRefreshDuration(Stopwatch.GetElapsedTime(started));
        }
    }
}
