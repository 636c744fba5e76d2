using KpiCollector.Configuration;
using KpiCollector.Core.Time;
using Quartz;

namespace KpiCollector.Jobs;

/// <summary>How often a source polls: its interval, or for a cron schedule the gap between its next two firings.</summary>
public static class PollSchedule
{
    public static readonly TimeSpan DemoInterval = TimeSpan.FromMinutes(1);

    public static TimeSpan IntervalOf(SourceOptions? source, DateTimeOffset now)
    {
        if (source is null)
        {
            return DemoInterval;
        }

        if (!string.IsNullOrWhiteSpace(source.Cron))
        {
            var cron = new CronExpression(source.Cron) { TimeZone = TimeZoneInfo.Utc };
            if (cron.GetNextValidTimeAfter(now) is { } first && cron.GetNextValidTimeAfter(first) is { } second)
            {
                return second - first;
            }

            return DemoInterval;
        }

        return Durations.Parse(source.Interval);
    }
}
