using KpiCollector.Configuration;
using KpiCollector.Core.Time;
using KpiCollector.Metrics;
using KpiCollector.Pipeline;
using KpiCollector.Sources;
using KpiCollector.Storage;
using Microsoft.Extensions.Options;

namespace KpiCollector.Hosting;

/// <summary>
/// First thing at start, before any job runs: opens the store (creating or upgrading its schema), rebuilds the
/// engine and the SLA clocks from every stored record (quarantining the ones that cannot be read), publishes the KPIs once, and says loudly when this is demo
/// mode or when a configured window cannot work.
/// </summary>
public sealed class StartupService(
    IStore store,
    IngestPipeline pipeline,
    SourceRegistry sources,
    KpiRefresher refresher,
    IOptions<KpiCollectorOptions> options,
    TimeProvider time,
    IConfiguration configuration,
    PlatformCatalog platforms,
    Replication.ISourceOwnership ownership,
    ILogger<StartupService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (sources.DemoMode)
        {
            Log.DemoMode(logger);
        }

        foreach (var warning in ConfigurationShape.Check(configuration, platforms).Warnings)
        {
            Log.ConfigurationWarning(logger, warning);
        }

        WarnAboutShortSlaWindows();
        store.Open();
        if (ownership.Replicated)
        {
            // Replicas load each source when they take its lease (docs/scaling.md): nothing is owned yet.
            refresher.Refresh();
            return Task.CompletedTask;
        }

        var watermarks = new Dictionary<string, DateTimeOffset?>();
        var now = time.GetUtcNow();
        foreach (var status in sources.Statuses)
        {
            status.Restore(store.GetCheckpoint(status.Name)?.Watermark);
            watermarks[status.Name] = status.Watermark;
            var source = sources.Get(status.Name);
            status.Backfill.Begin(now, source.BackfillSpan, status.Watermark, status.PollInterval, source.BackfillRequestsPerMinute, status.RequestCount);
        }

        var started = TimeProvider.System.GetTimestamp();
        var (conversations, others) = pipeline.Rebuild(watermarks);
        foreach (var status in sources.Statuses)
        {
            status.RecordQuarantined(store.CountQuarantined(status.Name));
        }

        refresher.Refresh();
        Log.EngineRebuilt(logger, conversations, others, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A burn-rate window shorter than two polls only ever sees one poll's data (docs/metrics.md, "SLA alerting (burn rates)").</summary>
    private void WarnAboutShortSlaWindows()
    {
        var longestInterval = sources.Statuses.Select(s => s.PollInterval ?? TimeSpan.Zero).DefaultIfEmpty(TimeSpan.Zero).Max();
        foreach (var window in options.Value.Sla.Windows)
        {
            if (Durations.TryParse(window, out var w) && w < 2 * longestInterval)
            {
                Log.ShortSlaWindow(logger, window, longestInterval);
            }
        }
    }
}
