namespace KpiCollector.Core.Sla;

/// <summary>
/// Weekly opening hours in a time zone, minus holidays. SLA clocks with a calendar only run while it is open:
/// a 1 h threshold started at 17:30 on a 09:00–18:00 day ends at 09:30 the next working day.
/// </summary>
public sealed class BusinessCalendar
{
    private const int MaxDaysScanned = 3660; // ten years: a calendar with no opening at all is rejected before this
    private readonly TimeZoneInfo _zone;
    private readonly IReadOnlyDictionary<DayOfWeek, IReadOnlyList<(TimeOnly Open, TimeOnly Close)>> _hours;
    private readonly HashSet<DateOnly> _holidays;

    public BusinessCalendar(TimeZoneInfo zone, IReadOnlyDictionary<DayOfWeek, IReadOnlyList<(TimeOnly Open, TimeOnly Close)>> weeklyHours, IEnumerable<DateOnly> holidays)
    {
        _zone = zone;
        _hours = weeklyHours;
        _holidays = [.. holidays];
        if (!_hours.Values.Any(day => day.Any(h => h.Close > h.Open)))
        {
            throw new ArgumentException("A business calendar needs at least one opening interval.", nameof(weeklyHours));
        }
    }

    /// <summary>The instant at which <paramref name="duration"/> of open time has elapsed since <paramref name="start"/>.</summary>
    public DateTimeOffset Add(DateTimeOffset start, TimeSpan duration)
    {
        var remaining = duration;
        foreach (var (open, close) in OpenIntervalsFrom(start))
        {
            var from = open > start ? open : start;
            var length = close - from;
            if (remaining <= length)
            {
                return from + remaining;
            }

            remaining -= length;
        }

        throw new InvalidOperationException("The business calendar has no opening within ten years.");
    }

    /// <summary>Open time between two instants.</summary>
    public TimeSpan Between(DateTimeOffset start, DateTimeOffset end)
    {
        if (end <= start)
        {
            return TimeSpan.Zero;
        }

        var total = TimeSpan.Zero;
        foreach (var (open, close) in OpenIntervalsFrom(start))
        {
            if (open >= end)
            {
                break;
            }

            var from = open > start ? open : start;
            var to = close < end ? close : end;
            if (to > from)
            {
                total += to - from;
            }
        }

        return total;
    }

    /// <summary>Opening intervals (UTC) in time order, starting with the one that contains or follows <paramref name="start"/>.</summary>
    private IEnumerable<(DateTimeOffset Open, DateTimeOffset Close)> OpenIntervalsFrom(DateTimeOffset start)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, _zone).DateTime);
        for (var i = 0; i < MaxDaysScanned; i++, day = day.AddDays(1))
        {
            if (_holidays.Contains(day) || !_hours.TryGetValue(day.DayOfWeek, out var intervals))
            {
                continue;
            }

            foreach (var (open, close) in intervals.OrderBy(h => h.Open))
            {
                var o = ToUtc(day.ToDateTime(open));
                var c = close == TimeOnly.MinValue ? ToUtc(day.AddDays(1).ToDateTime(TimeOnly.MinValue)) : ToUtc(day.ToDateTime(close));
                if (c > start && c > o)
                {
                    yield return (o, c);
                }
            }
        }
    }

    private DateTimeOffset ToUtc(DateTime local)
    {
        // A local time skipped by a DST change does not exist: move it forward past the gap.
        while (_zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), _zone), TimeSpan.Zero);
    }
}
