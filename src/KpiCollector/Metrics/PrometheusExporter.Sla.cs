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
    private GaugeFamily _slaObjective = null!;
    private GaugeFamily _slaThreshold = null!;
    private Dictionary<string, SlaPolicy> _policies = [];

    private void CreateSlaFamilies(IReadOnlyList<SlaPolicy> policies)
    {
        var w = SeriesLabels("sla", "window");
        _slaCompliance = Family("helpdesk_sla_compliance_ratio", "SLA compliance: met / (met + breached) among outcomes decided in the window (ratio 0-1); met at the reply, breached at the deadline once the source's watermark passed it. Absent without outcomes.", w);
        _slaBreachesWindow = Family("helpdesk_sla_breaches", "SLA outcomes decided as breached in the window (count), at the deadline.", w);
        _slaOutcomes = Family("helpdesk_sla_outcomes", "SLA outcomes decided in the window, met plus breached (count): the volume behind helpdesk_sla_compliance_ratio, for minimum-volume guards.", w);
        _slaBreaching = Family("helpdesk_sla_breaching_tickets", "Open conversations past their SLA deadline now (count; no window).", SeriesLabels("sla"));
        _slaAtRisk = Family("helpdesk_sla_at_risk_tickets", "Open conversations whose SLA deadline falls within the at-risk lead time (default 20% of the threshold) (count; no window).", SeriesLabels("sla"));

        // The configured policies, so rules and dashboards need no hard-coded targets. Exported with the same labels as
        // the compliance series they qualify, so that PromQL joins them one to one (ignoring only window).
        _slaObjective = Family("helpdesk_sla_objective_ratio", "The SLA policy's objective: target share of conversations met (ratio 0-1), from configuration; one series per SLA series.", SeriesLabels("sla"));
        _slaThreshold = Family("helpdesk_sla_threshold_seconds", "The SLA policy's threshold (seconds), from configuration; one series per SLA series.", SeriesLabels("sla"));
        _policies = policies.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    private void PublishSla(KpiSnapshot snapshot, IReadOnlyList<SlaOpenCount> open)
    {
        foreach (var s in snapshot.Sla)
        {
            if (_policies.TryGetValue(s.Policy, out var policy))
            {
                _slaObjective.Set(policy.Objective, SeriesValues(s.Key, s.Policy));
                _slaThreshold.Set(policy.Threshold.TotalSeconds, SeriesValues(s.Key, s.Policy));
            }

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
