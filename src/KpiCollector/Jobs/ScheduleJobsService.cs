using KpiCollector.Configuration;
using KpiCollector.Core.Time;
using KpiCollector.Sources;
using KpiCollector.Sources.Http;
using Microsoft.Extensions.Options;
using Quartz;

namespace KpiCollector.Jobs;

/// <summary>
/// Schedules one poll job per configured source, on its interval or cron expression, and the KPI refresh job.
/// Runs at start after the options were validated and before the Quartz scheduler starts.
/// </summary>
/// <remarks>
/// Misfires (a firing missed because the previous poll overran or the process was paused): catching up every
/// missed poll is worthless, since one poll from the saved cursor fetches everything since the last one. So a
/// missed interval firing waits for the next scheduled time (<c>NextWithRemainingCount</c>) and a missed cron
/// firing is dropped (<c>DoNothing</c>).
/// </remarks>
public sealed class ScheduleJobsService(
    ISchedulerFactory schedulers,
    SourceRegistry sources,
    IOptions<KpiCollectorOptions> options,
    ILogger<ScheduleJobsService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var configured = options.Value.Sources.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var source in sources.Sources)
        {
            configured.TryGetValue(source.Name, out var settings);
            var job = JobBuilder.Create<PollSourceJob>()
                .WithIdentity($"poll-{source.Name}", "sources")
                .UsingJobData(PollSourceJob.SourceKey, source.Name)
                .Build();
            var trigger = TriggerBuilder.Create().WithIdentity($"poll-{source.Name}", "sources").StartNow();
            if (!string.IsNullOrWhiteSpace(settings?.Cron))
            {
                trigger = trigger.WithCronSchedule(settings.Cron, c => c.WithMisfireHandlingInstructionDoNothing().InTimeZone(TimeZoneInfo.Utc));
                Log.SourceScheduled(logger, source.Name, source.Platform, $"cron '{settings.Cron}' (UTC)");
            }
            else
            {
                var interval = PollSchedule.IntervalOf(settings, DateTimeOffset.UtcNow);
                trigger = trigger.WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireHandlingInstructionNextWithRemainingCount());
                Log.SourceScheduled(logger, source.Name, source.Platform, $"every {interval}");
            }

            await scheduler.ScheduleJob(job, trigger.Build(), cancellationToken);
        }

        var refresh = Durations.Parse(options.Value.RefreshInterval);
        await scheduler.ScheduleJob(
            JobBuilder.Create<RefreshKpisJob>().WithIdentity("refresh-kpis", "kpis").Build(),
            TriggerBuilder.Create().WithIdentity("refresh-kpis", "kpis").StartNow()
                .WithSimpleSchedule(s => s.WithInterval(refresh).RepeatForever().WithMisfireHandlingInstructionNextWithRemainingCount())
                .Build(),
            cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
