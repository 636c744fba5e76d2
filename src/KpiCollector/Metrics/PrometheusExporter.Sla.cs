using KpiCollector.Core.Engine;
using KpiCollector.Core.Sla;

namespace KpiCollector.Metrics;

public sealed partial class PrometheusExporter
{
    private GaugeFamily _slaCompliance = null!;
    private GaugeFamily _slaBreachesWindow = null!;
    private GaugeFamily _slaOutcomes = null!;
    private GaugeFamily _slaBreaching = null!;
    private GaugeFamily _slaAtRisk = null!;

    private void CreateSlaFamilies(IReadOnlyList<SlaPolicy> policies)
    {
        var w = SeriesLabels("sla", "window");
        _slaCompliance = Family("helpdesk_sla_compliance_ratio", "SLA compliance: met / (met + breached) among outcomes decided in the window (ratio 0-1); met at the reply, breached at the deadline once the source's watermark passed it. Absent without outcomes.", w);
        _slaBreachesWindow = Family("helpdesk_sla_breaches", "SLA outcomes decided as breached in the window (count), at the deadline.", w);
        _slaOutcomes = Family("helpdesk_sla_outcomes", "SLA outcomes decided in the window, met plus breached (count): the volume behind helpdesk_sla_compliance_ratio, for minimum-volume guards.", w);
        _slaBreaching = Family("helpdesk_sla_breaching_tickets", "Open conversations past their SLA deadline now (count; no window).", SeriesLabels("sla"));
        _slaAtRisk = Family("helpdesk_sla_at_risk_tickets", "Open conversations whose SLA deadline falls within the at-risk lead time (default 20% of the threshold) (count; no window).", SeriesLabels("sla"));

        // The configured policies, so rules and dashboards need no hard-coded targets. Static: set once.
        var objective = _f.CreateGauge("helpdesk_sla_objective_ratio", "The SLA policy's objective: target share of conversations met (ratio 0-1), from configuration.", "sla");
        var threshold = _f.CreateGauge("helpdesk_sla_threshold_seconds", "The SLA policy's threshold (seconds), from configuration.", "sla");
        foreach (var p in policies)
        {
            objective.WithLabels(p.Name).Set(p.Objective);
            threshold.WithLabels(p.Name).Set(p.Threshold.TotalSeconds);
        }
    }

    private void PublishSla(KpiSnapshot snapshot, IReadOnlyList<SlaOpenCount> open)
    {
        foreach (var s in snapshot.Sla)
        {
            var labels = SeriesValues(s.Key, s.Policy, s.Window.Name);
            _slaCompliance.SetIfDefined(s.ComplianceRatio, labels);
            _slaBreachesWindow.Set(s.Breached, labels);
            _slaOutcomes.Set(s.Outcomes, labels);
        }

        foreach (var o in open)
        {
            var key = new SeriesKey(o.Source, o.Channel, _teams ? Core.Records.Channels.All : null);
            _slaBreaching.Set(o.Breaching, SeriesValues(key, o.Policy));
            _slaAtRisk.Set(o.AtRisk, SeriesValues(key, o.Policy));
        }
    }
}
