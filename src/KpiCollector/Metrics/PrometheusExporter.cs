using System.Reflection;
using KpiCollector.Configuration;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Sla;
using KpiCollector.Pipeline;
using KpiCollector.Sources;
using KpiCollector.Storage;
using Microsoft.Extensions.Options;
using Prometheus;

namespace KpiCollector.Metrics;

/// <summary>
/// The only code that knows prometheus-net: turns engine snapshots, SLA state and source status into the gauges,
/// counters and histogram of the metric contract, docs/metrics.md. Metric names, labels and HELP texts live here and there.
/// </summary>
public sealed partial class PrometheusExporter
{
    private const string ConversationIdLabel = "conversation_id";
    private static readonly Exemplar.LabelKey ConversationIdKey = Exemplar.Key(ConversationIdLabel);
    private const string Computed = "Computed by the collector from its store on a schedule (KpiCollector:RefreshInterval).";

    private readonly MetricFactory _f;
    private readonly SourceRegistry _sources;
    private readonly IStore _store;
    private readonly LiveObservations _live;
    private readonly KpiCollectorOptions _options;
    private readonly bool _teams;
    private readonly Lock _publishGate = new();
    private readonly List<GaugeFamily> _families = [];
    private readonly HashSet<(string Source, string Reason)> _loggedRejections = [];
    private readonly ILogger<PrometheusExporter> _logger;
    private readonly Replication.ISourceOwnership _ownership;
    private readonly HashSet<string> _adopted = new(StringComparer.Ordinal);
    private readonly Gauge _sourceOwner;

    private readonly Gauge _refreshDuration;
    private readonly Gauge _sourceUp;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _watermark;
    private readonly Gauge _pollDuration;
    private readonly Gauge _pollInterval;
    private readonly Gauge _backfillProgress;
    private readonly Gauge _backfillEta;
    private readonly TimeProvider _time;
    private readonly Prometheus.Counter _errors;
    private readonly Prometheus.Counter _ingested;
    private readonly Prometheus.Counter _rejected;
    private readonly Gauge _storeRecords;
    private readonly Gauge _storeQuarantined;
    private readonly Prometheus.Counter _slaEvents;
    private readonly Prometheus.Counter _slaBreaches;
    private readonly Histogram _firstResponseDuration;

    public PrometheusExporter(
        CollectorRegistry registry,
        SourceRegistry sources,
        IStore store,
        LiveObservations live,
        SlaEvaluator sla,
        IOptions<KpiCollectorOptions> options,
        TimeProvider time,
        ILogger<PrometheusExporter> logger,
        Replication.ISourceOwnership? ownership = null)
    {
        _time = time;
        _ownership = ownership ?? new Replication.SingleProcessOwnership();
        _sources = sources;
        _store = store;
        _live = live;
        _options = options.Value;
        _logger = logger;
        _teams = _options.Kpis.Teams.Count > 0;
        _f = Prometheus.Metrics.WithCustomRegistry(registry);
        CreateKpiFamilies();
        CreateWhatsAppFamilies();
        CreateSlaFamilies(sla.Policies);

        _refreshDuration = _f.CreateGauge("kpicollector_kpi_refresh_duration_seconds", "Duration of the last KPI refresh (seconds).");
        _f.CreateGauge("kpicollector_build_info", "Build information; always 1.", "version").WithLabels(Version).Set(1);
        _f.CreateGauge("kpicollector_demo_mode", "1 when the collector runs on simulated data because no source is configured, else 0.")
            .Set(sources.DemoMode ? 1 : 0);
        _sourceUp = _f.CreateGauge("kpicollector_source_up", "1 if the source's last poll succeeded, 0 if it failed; absent before the first poll.", "source", "platform");
        _lastSuccess = _f.CreateGauge("kpicollector_source_last_success_timestamp_seconds", "Time of the source's last successful poll (Unix seconds).", "source");
        _watermark = _f.CreateGauge("kpicollector_source_watermark_timestamp_seconds", "The source's data is complete up to this time (Unix seconds).", "source");
        _backfillProgress = _f.CreateGauge("kpicollector_source_backfill_progress_ratio", "How far the source's backfill (its first read of history after start) has come, 0 to 1; 1 once done or when none was needed.", "source");
        _backfillEta = _f.CreateGauge("kpicollector_source_backfill_eta_seconds", "Estimated time until the source's backfill ends (seconds), at the recent rate and the budget the source is paced to; absent while unknown and once done.", "source");
        _pollDuration = _f.CreateGauge("kpicollector_source_poll_duration_seconds", "Duration of the source's last poll (seconds).", "source");
        _pollInterval = _f.CreateGauge("kpicollector_source_poll_interval_seconds", "The source's configured poll interval (seconds; for cron schedules, the gap between the next two firings).", "source");
        _errors = _f.CreateCounter("kpicollector_source_errors_total", "Failed polls by reason: timeout, http_5xx, rate_limited, auth, parse, other.", "source", "reason");
        _ingested = _f.CreateCounter("kpicollector_records_ingested_total", "Records applied to the store and the engine (created or changed), by kind.", "source", "kind");
        _rejected = _f.CreateCounter("kpicollector_records_rejected_total", "Record versions excluded from the KPIs they would distort because they contradict themselves, by reason.", "source", "reason");
        _storeRecords = _f.CreateGauge("kpicollector_store_records", "Records in the store, by kind (conversation, survey, other).", "kind");
        _storeQuarantined = _f.CreateGauge("kpicollector_store_quarantined_records", "Stored records that could not be read and were quarantined (kept out of the KPIs), by source and kind.", "source", "kind");
        _slaEvents = _f.CreateCounter("helpdesk_sla_events_total", "SLA outcomes decided (met or breached) since the collector started, counting only outcomes decided within the last hour when learned (a backfill does not count).", "source", "platform", "channel", "sla");
        _slaBreaches = _f.CreateCounter("helpdesk_sla_breaches_total", "SLA outcomes decided as breached since the collector started (same rule as helpdesk_sla_events_total).", "source", "platform", "channel", "sla");
        _firstResponseDuration = _f.CreateHistogram("helpdesk_first_response_duration_seconds",
            "First response times (seconds) observed live since the collector started, one per conversation, with a bucket boundary at every first-response SLA threshold.",
            new HistogramConfiguration { LabelNames = ["source", "platform", "channel"], Buckets = FirstResponseBuckets(sla.Policies) });

        _sourceOwner = _f.CreateGauge("kpicollector_source_owner", "1 for each configured source this process owns (polls and exports), 0 for each it does not: with replicas, the one whose lease it holds (docs/scaling.md).", "source");
        foreach (var status in sources.Statuses)
        {
            _sourceOwner.WithLabels(status.Name).Set(_ownership.Owns(status.Name) ? 1 : 0);
            if (_ownership.Owns(status.Name))
            {
                Adopt(status.Name);
            }
        }

        registry.AddBeforeCollectCallback(PublishHealth);
    }

    public static string Version { get; } =
        typeof(PrometheusExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    /// <summary>Replaces every KPI and SLA series with the snapshot's values.</summary>
    public void Publish(KpiSnapshot snapshot, IReadOnlyList<SlaOpenCount> open)
    {
        lock (_publishGate)
        {
            PublishKpis(snapshot);
            PublishWhatsApp(snapshot.WhatsApp);
            PublishSla(snapshot, open);
            foreach (var family in _families)
            {
                family.Commit();
            }

            foreach (var ((source, reason), count) in snapshot.Rejections.Where(r => _ownership.Owns(r.Key.Source)))
            {
                _rejected.WithLabels(source, reason).IncTo(count);
                if (_loggedRejections.Add((source, reason)))
                {
                    Log.RecordsRejected(_logger, source, reason);
                }
            }
        }
    }

    /// <summary>Creates the source's counters at zero once this process owns it, so a rate has a start point.</summary>
    private void Adopt(string source)
    {
        lock (_adopted)
        {
            if (!_adopted.Add(source))
            {
                return;
            }
        }

        foreach (var reason in ErrorReasons.All)
        {
            _errors.WithLabels(source, reason);
        }

        foreach (var reason in RejectionReasons.All)
        {
            _rejected.WithLabels(source, reason);
        }

        foreach (var kind in RecordKinds.Quarantinable)
        {
            _storeQuarantined.WithLabels(source, kind).Set(0);
        }
    }

    /// <summary>
    /// Removes every series of a source this process no longer owns (a replica handed it over): its KPI series go at
    /// the next publish, which no longer finds it in the engine; its health and counters go here. The new owner
    /// exports them from then on (docs/scaling.md, "Metrics across replicas").
    /// </summary>
    public void Forget(string source)
    {
        lock (_adopted)
        {
            _adopted.Remove(source);
        }

        _sourceOwner.WithLabels(source).Set(_ownership.Owns(source) ? 1 : 0);
        foreach (var metric in new Collector[] { _sourceUp, _lastSuccess, _watermark, _backfillProgress, _backfillEta, _pollDuration, _pollInterval, _errors, _ingested, _rejected, _storeQuarantined, _slaEvents, _slaBreaches })
        {
            RemoveSource(metric, source);
        }

        RemoveSource(_firstResponseDuration, source);
        ForgetSourceRequests(source);
    }

    private static void RemoveSource<TChild>(Collector<TChild> metric, string source)
        where TChild : ChildBase
    {
        foreach (var labels in metric.GetAllLabelValues().Where(l => l.Length > 0 && l[0] == source).ToList())
        {
            metric.RemoveLabelled(labels);
        }
    }

    private static void RemoveSource(Collector metric, string source)
    {
        switch (metric)
        {
            case Gauge g:
                RemoveSource(g, source);
                break;
            case Prometheus.Counter c:
                RemoveSource(c, source);
                break;
        }
    }

    public void RecordRefreshDuration(TimeSpan duration) => _refreshDuration.Set(duration.TotalSeconds);

    private void PublishBackfill(SourceStatus s)
    {
        var backfill = s.ReadBackfill(_time.GetUtcNow());
        _backfillProgress.WithLabels(s.Name).Set(backfill.Ratio);
        if (backfill.Running && backfill.Eta is { } eta)
        {
            _backfillEta.WithLabels(s.Name).Set(eta.TotalSeconds);
        }
        else
        {
            _backfillEta.RemoveLabelled(s.Name);
        }
    }

    /// <summary>Source health and live counters are cheap to read, so they are brought up to date at every scrape.</summary>
    private void PublishHealth()
    {
        foreach (var s in _sources.Statuses)
        {
            var owned = _ownership.Owns(s.Name);
            _sourceOwner.WithLabels(s.Name).Set(owned ? 1 : 0);
            if (!owned)
            {
                continue;
            }

            Adopt(s.Name);
            if (s.Up is { } up)
            {
                _sourceUp.WithLabels(s.Name, s.Platform).Set(up ? 1 : 0);
            }

            if (s.LastSuccess is { } success)
            {
                _lastSuccess.WithLabels(s.Name).Set(success.ToUnixTimeMilliseconds() / 1000.0);
            }

            if (s.Watermark is { } watermark)
            {
                _watermark.WithLabels(s.Name).Set(watermark.ToUnixTimeMilliseconds() / 1000.0);
            }

            if (s.LastDuration is { } duration)
            {
                _pollDuration.WithLabels(s.Name).Set(duration.TotalSeconds);
            }

            if (s.PollInterval is { } interval)
            {
                _pollInterval.WithLabels(s.Name).Set(interval.TotalSeconds);
            }

            PublishBackfill(s);

            foreach (var (reason, count) in s.ErrorsByReason)
            {
                _errors.WithLabels(s.Name, reason).IncTo(count);
            }

            foreach (var (kind, count) in s.IngestedByKind)
            {
                _ingested.WithLabels(s.Name, kind).IncTo(count);
            }
        }

        foreach (var ((source, channel, policy), (events, breaches)) in _live.Outcomes.Where(o => _ownership.Owns(o.Key.Source)))
        {
            _slaEvents.WithLabels(source, PlatformOf(source), channel, policy).IncTo(events);
            _slaBreaches.WithLabels(source, PlatformOf(source), channel, policy).IncTo(breaches);
        }

        // Each observation carries the conversation's platform id as an OpenMetrics exemplar (conversation_id): a
        // Grafana user goes from a slow bucket to the ticket. Exemplars are exposed only in the OpenMetrics format,
        // which the /metrics endpoint serves when the scraper asks for it (Prometheus does); an id is never a label.
        foreach (var first in _live.DrainFirstResponses().Where(f => _ownership.Owns(f.Source)))
        {
            _firstResponseDuration.WithLabels(first.Source, PlatformOf(first.Source), first.Channel)
                .Observe(first.Seconds, FitsAnExemplar(first.ConversationId) ? Exemplar.From(ConversationIdKey.WithValue(first.ConversationId)) : Exemplar.None);
        }

        if (_store.IsOpen)
        {
            foreach (var (kind, count) in _store.CountRecords())
            {
                _storeRecords.WithLabels(kind).Set(count);
            }

            foreach (var ((source, kind), count) in _store.CountQuarantined().Where(q => _ownership.Owns(q.Key.Source)))
            {
                _storeQuarantined.WithLabels(source, kind).Set(count);
            }
        }
    }

    /// <summary>
    /// OpenMetrics limits an exemplar's label set to 128 characters and prometheus-net replaces non-ASCII ones: an id
    /// that would not survive whole is not worth sending (a truncated id would point at the wrong ticket).
    /// </summary>
    private static bool FitsAnExemplar(string id) => id.Length <= 128 - ConversationIdLabel.Length && id.All(char.IsAscii);

    private static double[] FirstResponseBuckets(IEnumerable<SlaPolicy> policies) =>
        new double[] { 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400 }
            .Concat(policies.Where(p => p.Metric == SlaMetric.FirstResponse).Select(p => p.Threshold.TotalSeconds))
            .Distinct().Order().ToArray();

    private string PlatformOf(string source) => _sources.TryStatusOf(source)?.Platform ?? "unknown";

    private GaugeFamily Family(string name, string help, params string[] labels)
    {
        var family = new GaugeFamily(_f.CreateGauge(name, $"{help} {Computed}", labels));
        _families.Add(family);
        return family;
    }

    /// <summary>The labels of a per-series metric: source, platform, channel, then team when the team breakdown is on.</summary>
    private string[] SeriesLabels(params string[] more) => _teams ? ["source", "platform", "channel", "team", .. more] : ["source", "platform", "channel", .. more];

    private string[] SeriesValues(SeriesKey key, params string[] more) => _teams
        ? [key.Source, PlatformOf(key.Source), key.Channel, key.Team ?? "all", .. more]
        : [key.Source, PlatformOf(key.Source), key.Channel, .. more];
}
