using KpiCollector.Sources;
using Prometheus;

namespace KpiCollector.Metrics;

/// <summary>
/// The sources' HTTP health (docs/metrics.md, "Collector health"): requests by status code, the platform's remaining request budget,
/// and the platform version where one is reported. Read from <see cref="Sources.SourceStatus"/> at every scrape.
/// </summary>
public sealed partial class PrometheusExporter
{
    private readonly Lock _sourceInfoGate = new();
    private readonly Dictionary<string, string[]> _sourceInfoLabels = new(StringComparer.Ordinal);
    private Prometheus.Counter? _requests;
    private Gauge? _rateLimitRemaining;
    private Gauge? _sourceInfo;
    private Prometheus.Counter? _webhooks;

    /// <summary>Registers the per-source HTTP metrics on <paramref name="registry"/>; the host calls it once, after construction.</summary>
    public PrometheusExporter WithSourceMetrics(CollectorRegistry registry)
    {
        if (_requests is not null)
        {
            return this;
        }

        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        _requests = f.CreateCounter("kpicollector_source_requests_total", "HTTP requests sent to the source's platform, by status code; code is timeout or network when no response came.", "source", "code");
        _rateLimitRemaining = f.CreateGauge("kpicollector_source_rate_limit_remaining", "The request budget the platform last reported as remaining in its rate-limit headers (requests; percent of the budget for WhatsApp). Absent until reported.", "source");
        _sourceInfo = f.CreateGauge("kpicollector_source_info", "The version the source's platform reports about itself (Chatwoot); always 1.", "source", "platform", "version");
        _webhooks = f.CreateCounter("kpicollector_webhook_requests_total", "Webhook requests received by the source, by outcome: accepted, bad_signature (missing or wrong X-Hub-Signature-256), malformed (not the documented JSON), duplicate (every event received before), too_large (over MaxWebhookBytes).", "source", "outcome");
        registry.AddBeforeCollectCallback(PublishSourceRequests);
        return this;
    }

    private void PublishSourceRequests()
    {
        foreach (var s in _sources.Statuses)
        {
            // Webhooks land on any replica (each verifies and stores what it receives), so every replica counts its
            // own; the rest is the owner's.
            var owned = _ownership.Owns(s.Name);
            foreach (var (code, count) in owned ? s.RequestsByCode : new Dictionary<string, long>())
            {
                _requests!.WithLabels(s.Name, code).IncTo(count);
            }

            if (s.ReceivesWebhooks)
            {
                var outcomes = s.WebhooksByOutcome;
                foreach (var outcome in WebhookOutcomes.All)
                {
                    _webhooks!.WithLabels(s.Name, outcome).IncTo(outcomes.GetValueOrDefault(outcome));
                }
            }

            if (!owned)
            {
                continue;
            }

            if (s.RateLimitRemaining is { } remaining)
            {
                _rateLimitRemaining!.WithLabels(s.Name).Set(remaining);
            }

            if (s.PlatformVersion is { } version)
            {
                PublishSourceInfo(s.Name, s.Platform, version);
            }
        }
    }

    private void ForgetSourceRequests(string source)
    {
        if (_requests is null)
        {
            return;
        }

        RemoveSource(_requests, source);
        RemoveSource(_rateLimitRemaining!, source);
        RemoveSource(_sourceInfo!, source);
        lock (_sourceInfoGate)
        {
            _sourceInfoLabels.Remove(source);
        }
    }

    /// <summary>One series per source: a version that changed (the platform was upgraded) replaces the old series.</summary>
    private void PublishSourceInfo(string source, string platform, string version)
    {
        lock (_sourceInfoGate)
        {
            string[] labels = [source, platform, version];
            if (_sourceInfoLabels.TryGetValue(source, out var previous) && !previous.AsSpan().SequenceEqual(labels))
            {
                _sourceInfo!.RemoveLabelled(previous);
            }

            _sourceInfoLabels[source] = labels;
            _sourceInfo!.WithLabels(labels).Set(1);
        }
    }
}
