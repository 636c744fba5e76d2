using KpiCollector.Configuration;
using KpiCollector.Core.Time;
using Quartz;

namespace KpiCollector.Sources.Http;

/// <summary>
/// How often a source's schedule polls: its interval, or for a cron schedule the gap between its next two firings
/// (what the health endpoints compare a source's last poll with), and the busiest minute (to check at start that its
/// request budgets can keep up).
/// </summary>
public static class PollSchedule
{
    /// <summary>The demo source's interval, and the fallback for a cron expression that fires fewer than twice.</summary>
    public static readonly TimeSpan DemoInterval = TimeSpan.FromMinutes(1);

    /// <summary>The time between two polls: the interval, or for a cron schedule the gap between its next two firings.</summary>
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

    /// <summary>A readable description of the schedule, for log lines.</summary>
    public static string Describe(SourceOptions source) =>
        string.IsNullOrWhiteSpace(source.Cron) ? $"every {source.Interval}" : $"cron '{source.Cron}'";

    /// <summary>
    /// The most polls the schedule fires in any 60 seconds: 60 s ÷ interval for an interval (fractions allowed), or
    /// the busiest minute among the cron expression's next firings (up to 2,000, within a week).
    /// </summary>
    public static double PollsPerMinute(SourceOptions source, DateTimeOffset from)
    {
        if (string.IsNullOrWhiteSpace(source.Cron))
        {
            return Durations.TryParse(source.Interval, out var interval) ? 60.0 / interval.TotalSeconds : 1;
        }

        var cron = new CronExpression(source.Cron) { TimeZone = TimeZoneInfo.Utc };
        var fires = new List<DateTimeOffset>();
        var end = from.AddDays(7);
        for (var next = cron.GetNextValidTimeAfter(from); next is { } t && t < end && fires.Count < 2000; next = cron.GetNextValidTimeAfter(t))
        {
            fires.Add(t);
        }

        var busiest = 0;
        for (int first = 0, last = 0; last < fires.Count; last++)
        {
            while (fires[last] - fires[first] >= TimeSpan.FromMinutes(1))
            {
                first++;
            }

            busiest = Math.Max(busiest, last - first + 1);
        }

        return busiest;
    }

    /// <summary>
    /// Warns (once, at start) when polling on the schedule, at <paramref name="requestsPerPoll"/> requests a poll at
    /// the least, needs more of <paramref name="budget"/> than it allows. Returns whether it warned.
    /// </summary>
    public static bool WarnIfOverBudget(ILogger logger, SourceOptions source, double pollsPerMinute, int requestsPerPoll, RequestBudget budget)
    {
        var needed = pollsPerMinute * requestsPerPoll;
        if (needed <= budget.RequestsPerMinute)
        {
            return false;
        }

        Log.ScheduleOverBudget(logger, source.Name, Describe(source), pollsPerMinute, requestsPerPoll, budget.Name, needed, budget.RequestsPerMinute, budget.ConfigurationKey);
        return true;
    }
}
