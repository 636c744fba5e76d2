using KpiCollector.Core.Records;

namespace KpiCollector.Core.Engine;

/// <summary>
/// The one place that says which windowed events a record contributes, each at its event time (kpis.md section 4).
/// The engine adds these for a new version and retracts them for the replaced one.
/// </summary>
internal static class Contributions
{
    public static void Of(Conversation c, List<KpiEvent> into)
    {
        into.Add(KpiEvent.Count(c.CreatedAt, Counter.TicketsCreated));

        if (c.FirstResponseAt is { } first && first >= c.CreatedAt)
        {
            into.Add(KpiEvent.Duration(first, Dist.FirstResponseAll, first - c.CreatedAt));
            if (c.FirstResponderKind == ResponderKind.Bot)
            {
                into.Add(KpiEvent.Duration(first, Dist.FirstResponseBot, first - c.CreatedAt));
            }
        }

        // Time to the first human reply: the platform's own field, or the first reply when a human gave it.
        var human = c.FirstHumanResponseAt ?? (c.FirstResponderKind == ResponderKind.Human ? c.FirstResponseAt : null);
        if (human is { } h && h >= c.CreatedAt)
        {
            into.Add(KpiEvent.Duration(h, Dist.FirstResponseHuman, h - c.CreatedAt));
        }

        // A conversation counts as resolved at its latest resolution while it stays solved or closed;
        // a reopen retracts it until it is resolved again.
        if (c.Status.IsEnded() && c.ResolvedAt is { } resolved && resolved >= c.CreatedAt)
        {
            into.Add(KpiEvent.Count(resolved, Counter.TicketsResolved));
            into.Add(KpiEvent.Duration(resolved, Dist.Resolution, resolved - c.CreatedAt));
        }
    }

    public static void Of(SurveyResponse s, SurveyScoring scoring, List<KpiEvent> into)
    {
        if (s.Score < s.ScaleMin || s.Score > s.ScaleMax)
        {
            return; // outside its own scale: contradicts itself
        }

        if (s.Kind == SurveyKind.Csat)
        {
            into.Add(KpiEvent.Count(s.RespondedAt, Counter.CsatResponses));
            if (s.Score >= scoring.CsatThreshold(s.ScaleMin, s.ScaleMax))
            {
                into.Add(KpiEvent.Count(s.RespondedAt, Counter.CsatSatisfied));
            }
        }
    }
}
