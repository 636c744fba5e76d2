using KpiCollector.Metrics;
using Quartz;

namespace KpiCollector.Jobs;

/// <summary>Recomputes every KPI gauge from the engine, so windows slide even when no new data arrives.</summary>
[DisallowConcurrentExecution]
public sealed class RefreshKpisJob(KpiRefresher refresher) : IJob
{
    public Task Execute(IJobExecutionContext context)
    {
        refresher.Refresh();
        return Task.CompletedTask;
    }
}
