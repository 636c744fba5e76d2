using System.Globalization;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Sla;
using KpiCollector.Core.Time;

namespace KpiCollector.Configuration;

/// <summary>Turns validated options into the Core's types. Only call on options that passed <see cref="KpiCollectorOptionsValidator"/>.</summary>
public static class OptionsMapping
{
    public static EngineOptions ToEngineOptions(this KpiCollectorOptions o)
    {
        var policies = o.ToSlaPolicies();
        return new EngineOptions
        {
            Windows = o.Windows.Select(KpiWindow.Parse).ToList(),
            SlaWindows = o.Sla.Windows.Select(KpiWindow.Parse).ToList(),
            BucketWidth = Durations.Parse(o.BucketWidth),
            CoarseBucketWidth = Durations.Parse(o.CoarseBucketWidth),
            Surveys = new SurveyScoring
            {
                CsatSatisfiedThreshold = o.Surveys.CsatSatisfiedThreshold,
                CesScale = (o.Surveys.CesScaleMin, o.Surveys.CesScaleMax),
                CesLowIsEasy = o.Surveys.CesLowIsEasy,
            },
            FcrMaxReplies = o.Kpis.FcrMaxReplies,
            TicketTypesTopN = o.Kpis.TicketTypesTopN,
            Teams = o.Kpis.Teams.ToHashSet(StringComparer.Ordinal),
            Quality = new QualityWeights
            {
                FirstResponse = o.Kpis.Quality.FirstResponseWeight,
                Resolution = o.Kpis.Quality.ResolutionWeight,
                FirstContactResolution = o.Kpis.Quality.FirstContactResolutionWeight,
                Satisfied = o.Kpis.Quality.SatisfiedWeight,
                FirstResponseTarget = policies.FirstOrDefault(p => p.Metric == SlaMetric.FirstResponse)?.Threshold,
                ResolutionTarget = policies.FirstOrDefault(p => p.Metric == SlaMetric.Resolution)?.Threshold,
            },
            StaffingConcurrency = o.Staffing.Concurrency,
            StaffingTarget = policies.FirstOrDefault(p => p.Metric == SlaMetric.FirstResponse) is { } frt
                ? (frt.Threshold, frt.Objective)
                : (TimeSpan.FromSeconds(60), 0.8),
            Costs = new CostSettings
            {
                StaffPerAgentHour = o.Costs.StaffPerAgentHour ?? (o.DemoMode ? o.Simulator.StaffCostPerAgentHour : null),
                Currency = o.Costs.Currency.ToUpperInvariant(),
                FixedMonthly = o.Costs.Fixed.Select(f => (f.Name, f.MonthlyAmount)).ToList(),
            },
        };
    }

    public static IReadOnlyList<SlaPolicy> ToSlaPolicies(this KpiCollectorOptions o) => o.Sla.Policies.Select(p => new SlaPolicy
    {
        Name = p.Name,
        Metric = ParseMetric(p.Metric)!.Value,
        Threshold = Durations.Parse(p.Threshold),
        Objective = p.Objective,
        Channels = p.Channels.ToHashSet(StringComparer.Ordinal),
        Priorities = p.Priorities.ToHashSet(StringComparer.Ordinal),
        Teams = p.Teams.ToHashSet(StringComparer.Ordinal),
        HumanOnly = p.HumanOnly,
        AtRiskLead = p.AtRiskLead is { } lead ? Durations.Parse(lead) : null,
        Calendar = p.Calendar is { } c ? ToCalendar(c, out _) : null,
    }).ToList();

    public static SlaMetric? ParseMetric(string? metric) => metric switch
    {
        "first_response" => SlaMetric.FirstResponse,
        "next_response" => SlaMetric.NextResponse,
        "resolution" => SlaMetric.Resolution,
        _ => null,
    };

    /// <summary>Builds the calendar, or returns null with the problem (naming the sub-key) in <paramref name="error"/>.</summary>
    public static BusinessCalendar? ToCalendar(BusinessCalendarOptions c, out string? error)
    {
        error = null;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(c.TimeZone, out var zone))
        {
            error = $"TimeZone: '{c.TimeZone}' is not a known time zone; use an IANA name such as Europe/Rome or UTC.";
            return null;
        }

        var hours = new Dictionary<DayOfWeek, IReadOnlyList<(TimeOnly, TimeOnly)>>();
        foreach (var (day, text) in c.Hours)
        {
            if (!Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var dow) || !Enum.IsDefined(dow))
            {
                error = $"Hours:{day}: not a weekday; use Monday ... Sunday.";
                return null;
            }

            var intervals = new List<(TimeOnly, TimeOnly)>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var bounds = part.Split('-', StringSplitOptions.TrimEntries);
                if (bounds.Length != 2
                    || !TimeOnly.TryParseExact(bounds[0], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var open)
                    || !TimeOnly.TryParseExact(bounds[1] == "24:00" ? "00:00" : bounds[1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var close)
                    || (close <= open && close != TimeOnly.MinValue))
                {
                    error = $"Hours:{day}: '{part}' is not an opening interval; use HH:mm-HH:mm (e.g. 09:00-18:00), several separated by commas.";
                    return null;
                }

                intervals.Add((open, close));
            }

            hours[dow] = intervals;
        }

        var holidays = new List<DateOnly>();
        for (var i = 0; i < c.Holidays.Count; i++)
        {
            if (!DateOnly.TryParseExact(c.Holidays[i], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                error = $"Holidays:{i}: '{c.Holidays[i]}' is not a date; use yyyy-MM-dd.";
                return null;
            }

            holidays.Add(d);
        }

        if (hours.Count == 0)
        {
            error = "Hours: no opening hours; give at least one weekday, e.g. \"Monday\": \"09:00-18:00\".";
            return null;
        }

        return new BusinessCalendar(zone, hours, holidays);
    }
}
