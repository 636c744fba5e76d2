using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Metrics;
using KpiCollector.Sources;
using KpiCollector.Storage;

namespace KpiCollector.Hosting;

/// <summary>
/// First thing at start, before any job runs: opens the store (creating or upgrading its schema), rebuilds the
/// engine from every stored record, publishes the KPIs once, and says loudly when this is demo mode.
/// </summary>
public sealed class StartupService(
    SqliteStore store,
    KpiEngine engine,
    SourceRegistry sources,
    KpiRefresher refresher,
    ILogger<StartupService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (sources.DemoMode)
        {
            Log.DemoMode(logger);
        }

        store.Open();
        foreach (var status in sources.Statuses)
        {
            status.Restore(store.GetCheckpoint(status.Name)?.Watermark);
        }

        var started = TimeProvider.System.GetTimestamp();
        var conversations = 0L;
        var surveys = 0L;
        engine.Apply(store.ReadConversations().Select(c =>
        {
            conversations++;
            return new RecordChange<Conversation>(null, c);
        }));
        engine.Apply(store.ReadSurveys().Select(s =>
        {
            surveys++;
            return new RecordChange<SurveyResponse>(null, s);
        }));
        refresher.Refresh();
        Log.EngineRebuilt(logger, conversations, surveys, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
