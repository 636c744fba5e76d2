namespace KpiCollector.Simulator;

/// <summary>
/// The seasonal arrival profile and the shift roster that follows it, both on UTC clock time.
/// </summary>
/// <remarks>
/// The daily profile is low at night (about 0.2× the mean), peaks in the late morning and mid-afternoon (about 1.8×),
/// and is interpolated linearly between hourly points. Saturday and Sunday carry half the weekday traffic. Both are
/// normalized so that the mean over any whole week is exactly 1, which makes <see cref="SimulatorOptions.ArrivalsPerHour"/>
/// the weekly mean rate.
/// </remarks>
internal static class Seasonality
{
    // Relative traffic at the middle of each UTC hour, 00:30 to 23:30 (normalized below).
    private static readonly double[] RawDaily =
    [
        0.30, 0.22, 0.20, 0.20, 0.22, 0.30, 0.50, 0.85, 1.25, 1.60, 1.80, 1.80,
        1.50, 1.45, 1.70, 1.80, 1.65, 1.35, 1.10, 0.90, 0.75, 0.60, 0.48, 0.38,
    ];

    private static readonly double[] Daily = Normalize(RawDaily);

    // Weekdays 1, weekend days 0.5, scaled so that the seven days average 1: 5w + 2(w/2) = 7.
    private const double WeekdayFactor = 7.0 / 6.0;
    private const double WeekendFactor = 7.0 / 12.0;

    // The roster puts Agents × (RosterBase + RosterSlope × relative load) online: more headroom in quiet hours than
    // at the peaks, where utilization runs close to 1 and waits grow.
    private const double RosterBase = 0.10;
    private const double RosterSlope = 0.62;

    // Work lags arrivals (emails wait for triage, customers come back to pending and reopened conversations), so the
    // roster keeps the staffing of two hours earlier while traffic falls.
    private const long RosterLag = 2 * TimeSpan.TicksPerHour;

    /// <summary>The largest value <see cref="Shape"/> takes (a weekday peak).</summary>
    public static double MaxShape { get; } = Daily.Max() * WeekdayFactor;

    /// <summary>The arrival-rate multiplier at an instant (weekly mean 1).</summary>
    public static double Shape(long utcTicks)
    {
        var day = new DateTime(utcTicks, DateTimeKind.Utc);
        var hours = day.TimeOfDay.TotalHours;

        // Position relative to the hourly points, which sit at the middle of each hour.
        var position = hours - 0.5;
        var lower = (int)Math.Floor(position);
        var fraction = position - lower;
        var a = Daily[(lower + 24) % 24];
        var b = Daily[(lower + 25) % 24];
        return (a + (b - a) * fraction) * DayFactor(day.DayOfWeek);
    }

    /// <summary>
    /// How many agents are online in the hour that contains <paramref name="utcTicks"/>. The roster follows the
    /// expected load, as overlapping day shifts do, on top of a floor that a small night shift covers; at the weekend
    /// the load, and so the roster, is about half. Agents 1..N are the ones online; the others finish what they hold.
    /// </summary>
    public static int OnlineAgents(long utcTicks, int headcount)
    {
        if (headcount == 0)
        {
            return 0;
        }

        var hourStart = utcTicks - utcTicks % TimeSpan.TicksPerHour;
        var middle = hourStart + TimeSpan.TicksPerHour / 2;
        var load = Math.Max(Shape(middle), Shape(middle - RosterLag)) / MaxShape;
        var share = Math.Clamp(RosterBase + RosterSlope * load, 0, 1);
        return Math.Clamp((int)Math.Round(headcount * share), 1, headcount);
    }

    private static double DayFactor(DayOfWeek day) =>
        day is DayOfWeek.Saturday or DayOfWeek.Sunday ? WeekendFactor : WeekdayFactor;

    private static double[] Normalize(double[] values)
    {
        var mean = values.Average();
        return values.Select(v => v / mean).ToArray();
    }
}
