using System.Reflection;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Storage;
using Prometheus;
using Counter = KpiCollector.Core.Engine.Counter;

namespace KpiCollector.Metrics;

/// <summary>
/// The only code that knows prometheus-net: turns engine snapshots and source status into the gauges and counters
/// of kpis.md. Metric names, labels and HELP texts live here and in docs/metrics.md, nowhere else.
/// </summary>
public sealed partial class PrometheusExporter
{
    private const string Computed = "Computed by the collector from its store on a schedule (KpiCollector:RefreshInterval).";
    private static readonly string[] KpiLabels = ["source", "platform", "channel", "window"];

    private readonly SourceRegistry _sources;
    private readonly SqliteStore _store;
    private readonly Lock _publishGate = new();

    private readonly GaugeFamily _created;
    private readonly GaugeFamily _resolved;
    private readonly GaugeFamily _backlog;
    private readonly GaugeFamily _unanswered;
    private readonly GaugeFamily _firstResponseSeconds;
    private readonly GaugeFamily _firstResponses;
    private readonly GaugeFamily _resolutionSeconds;
    private readonly GaugeFamily _csat;
    private readonly Gauge _refreshDuration;

    private readonly Gauge _sourceUp;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _watermark;
    private readonly Gauge _pollDuration;
    private readonly Prometheus.Counter _errors;
    private readonly Prometheus.Counter _ingested;
    private readonly Gauge _storeRecords;

    public PrometheusExporter(CollectorRegistry registry, SourceRegistry sources, SqliteStore store)
    {
        _sources = sources;
        _store = store;
        var f = Prometheus.Metrics.WithCustomRegistry(registry);

        _created = Family(f, "helpdesk_tickets_created", "Conversations created in the window (count), at created_at.", KpiLabels);
        _resolved = Family(f, "helpdesk_tickets_resolved", "Conversations resolved in the window and still solved or closed (count), at resolved_at.", KpiLabels);
        _backlog = Family(f, "helpdesk_backlog_tickets", "Conversations not solved or closed now, by status (count; no window).", ["source", "platform", "channel", "status"]);
        _unanswered = Family(f, "helpdesk_unanswered_tickets", "Open conversations with no business reply yet (count; no window).", ["source", "platform", "channel"]);
        _firstResponseSeconds = Family(f, "helpdesk_first_response_seconds", "First response time: first_response_at - created_at (seconds), mean and percentiles, by responder (all, bot, human = time to the first human reply), at the reply time.", [.. KpiLabels, "stat", "responder"]);
        _firstResponses = Family(f, "helpdesk_first_responses", "First responses given in the window (count), by responder, at the reply time.", [.. KpiLabels, "responder"]);
        _resolutionSeconds = Family(f, "helpdesk_resolution_seconds", "Resolution time: resolved_at - created_at (seconds), mean and percentiles, at resolved_at.", [.. KpiLabels, "stat"]);
        _csat = Family(f, "helpdesk_csat_ratio", "CSAT: survey responses at or above the satisfied threshold / responses (ratio 0-1), at responded_at. Absent without responses.", KpiLabels);
        _refreshDuration = f.CreateGauge("kpicollector_kpi_refresh_duration_seconds", "Duration of the last KPI refresh (seconds).");

        f.CreateGauge("kpicollector_build_info", "Build information; always 1.", "version")
            .WithLabels(Version).Set(1);
        f.CreateGauge("kpicollector_demo_mode", "1 when the collector runs on simulated data because no source is configured, else 0.")
            .Set(sources.DemoMode ? 1 : 0);
        _sourceUp = f.CreateGauge("kpicollector_source_up", "1 if the source's last poll succeeded, 0 if it failed; absent before the first poll.", "source", "platform");
        _lastSuccess = f.CreateGauge("kpicollector_source_last_success_timestamp_seconds", "Time of the source's last successful poll (Unix seconds).", "source");
        _watermark = f.CreateGauge("kpicollector_source_watermark_timestamp_seconds", "The source's data is complete up to this time (Unix seconds).", "source");
        _pollDuration = f.CreateGauge("kpicollector_source_poll_duration_seconds", "Duration of the source's last poll (seconds).", "source");
        _errors = f.CreateCounter("kpicollector_source_errors_total", "Failed polls by reason: timeout, http_5xx, rate_limited, auth, parse, other.", "source", "reason");
        _ingested = f.CreateCounter("kpicollector_records_ingested_total", "Records applied to the store and the engine (created or changed), by kind.", "source", "kind");
        _storeRecords = f.CreateGauge("kpicollector_store_records", "Records in the store, by kind.", "kind");

        foreach (var status in sources.Statuses)
        {
            foreach (var reason in ErrorReasons.All)
            {
                _errors.WithLabels(status.Name, reason);
            }
        }

        registry.AddBeforeCollectCallback(PublishHealth);
    }

    public static string Version { get; } =
        typeof(PrometheusExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    /// <summary>Replaces every KPI series with the snapshot's values.</summary>
    public void PublishKpis(KpiSnapshot snapshot)
    {
        lock (_publishGate)
        {
            foreach (var series in snapshot.Series)
            {
                var (source, channel) = (series.Key.Source, series.Key.Channel);
                var platform = PlatformOf(source);
                for (var i = 0; i < ConversationStatuses.Backlog.Count; i++)
                {
                    var status = ConversationStatuses.Backlog[i];
                    _backlog.Set(series.BacklogByStatus[(int)status], source, platform, channel, status.ToLabel());
                }

                _unanswered.Set(series.Unanswered, source, platform, channel);
                foreach (var w in series.Windows)
                {
                    string[] labels = [source, platform, channel, w.Window.Name];
                    _created.Set(w[Counter.TicketsCreated], labels);
                    _resolved.Set(w[Counter.TicketsResolved], labels);
                    PublishDurations(_firstResponseSeconds, w[Dist.FirstResponseAll], [.. labels], "all");
                    PublishDurations(_firstResponseSeconds, w[Dist.FirstResponseBot], [.. labels], "bot");
                    PublishDurations(_firstResponseSeconds, w[Dist.FirstResponseHuman], [.. labels], "human");
                    _firstResponses.Set(w[Dist.FirstResponseAll].Count, [.. labels, "all"]);
                    _firstResponses.Set(w[Dist.FirstResponseBot].Count, [.. labels, "bot"]);
                    _firstResponses.Set(w[Dist.FirstResponseHuman].Count, [.. labels, "human"]);
                    PublishDurations(_resolutionSeconds, w[Dist.Resolution], labels, null);
                    _csat.SetIfDefined(w.CsatRatio, labels);
                }
            }

            foreach (var family in new[] { _created, _resolved, _backlog, _unanswered, _firstResponseSeconds, _firstResponses, _resolutionSeconds, _csat })
            {
                family.Commit();
            }
        }
    }

    public void RecordRefreshDuration(TimeSpan duration) => _refreshDuration.Set(duration.TotalSeconds);

    private static void PublishDurations(GaugeFamily family, DistSummary d, string[] labels, string? responder)
    {
        if (d.Count == 0)
        {
            return; // undefined without observations: absent, never 0
        }

        string[] Labels(string stat) => responder is null ? [.. labels, stat] : [.. labels, stat, responder];
        family.Set(d.MeanSeconds, Labels("mean"));
        family.Set(d.P50Seconds, Labels("p50"));
        family.Set(d.P90Seconds, Labels("p90"));
        family.Set(d.P95Seconds, Labels("p95"));
    }

    /// <summary>Source health is cheap to read, so it is brought up to date at every scrape.</summary>
    private void PublishHealth()
    {
        foreach (var s in _sources.Statuses)
        {
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

            foreach (var (reason, count) in s.ErrorsByReason)
            {
                _errors.WithLabels(s.Name, reason).IncTo(count);
            }

            foreach (var (kind, count) in s.IngestedByKind)
            {
                _ingested.WithLabels(s.Name, kind).IncTo(count);
            }
        }

        if (_store.IsOpen)
        {
            foreach (var (kind, count) in _store.CountRecords())
            {
                _storeRecords.WithLabels(kind).Set(count);
            }
        }
    }

    private string PlatformOf(string source) => _sources.StatusOf(source).Platform;

    private static GaugeFamily Family(IMetricFactory f, string name, string help, string[] labels) =>
        new(f.CreateGauge(name, $"{help} {Computed}", labels));
}
