using KpiCollector.Core.Records;

namespace KpiCollector.Core.Engine;

/// <summary>
/// The one place that says which windowed events a record contributes, each at its event time (docs/metrics.md, "KPI gauges"),
/// and which parts of it are rejected as self-contradictory. The engine adds these for a new version and retracts
/// them for the replaced one.
/// </summary>
internal sealed class Contributions(EngineOptions options)
{
    public void Of(Conversation c, List<KpiEvent> into, List<string> rejected)
    {
        into.Add(KpiEvent.Count(c.CreatedAt, Counter.TicketsCreated));
        if (c.RequesterId is not null)
        {
            into.Add(KpiEvent.Count(c.CreatedAt, Counter.CreatedWithRequester));
        }

        var firstReplyValid = true;
        if (c.FirstResponseAt is { } first)
        {
            if (first < c.CreatedAt)
            {
                rejected.Add(RejectionReasons.ReplyBeforeCreation);
                firstReplyValid = false;
            }
            else
            {
                into.Add(KpiEvent.Duration(first, Dist.FirstResponseAll, first - c.CreatedAt));
                if (c.FirstResponderKind == ResponderKind.Bot)
                {
                    into.Add(KpiEvent.Duration(first, Dist.FirstResponseBot, first - c.CreatedAt));
                }
            }
        }

        // Time to the first human reply: the platform's own field, or the first reply when a human gave it.
        var human = c.FirstHumanResponseAt ?? (c.FirstResponderKind == ResponderKind.Human ? c.FirstResponseAt : null);
        if (human is { } h)
        {
            if (h < c.CreatedAt)
            {
                if (firstReplyValid)
                {
                    rejected.Add(RejectionReasons.ReplyBeforeCreation);
                }
            }
            else
            {
                into.Add(KpiEvent.Duration(h, Dist.FirstResponseHuman, h - c.CreatedAt));
                var waitStart = c.BotHandoffAt is { } handoff && handoff >= c.CreatedAt && handoff <= h ? handoff : c.CreatedAt;
                into.Add(KpiEvent.Duration(h, Dist.Wait, h - waitStart));
            }
        }

        if (c.HandleTime is { } handle && handle < TimeSpan.Zero)
        {
            rejected.Add(RejectionReasons.NegativeHandleTime);
        }

        if (c.Status.IsEnded())
        {
            Ended(c, into, rejected);
        }
    }

    public void Of(SurveyResponse s, List<KpiEvent> into, List<string> rejected)
    {
        var (offered, answered) = s.Kind switch
        {
            SurveyKind.Csat => (Counter.CsatOffered, Counter.CsatResponses),
            SurveyKind.Nps => (Counter.NpsOffered, Counter.NpsResponses),
            _ => (Counter.CesOffered, Counter.CesResponses),
        };
        into.Add(KpiEvent.Count(s.RespondedAt, offered));
        if (s.Score is not { } score)
        {
            return;
        }

        if (score < s.ScaleMin || score > s.ScaleMax || s.ScaleMax <= s.ScaleMin)
        {
            rejected.Add(RejectionReasons.ScoreOutOfScale);
            return;
        }

        into.Add(KpiEvent.Count(s.RespondedAt, answered));
        switch (s.Kind)
        {
            case SurveyKind.Csat when score >= options.Surveys.CsatThreshold(s.ScaleMin, s.ScaleMax):
                into.Add(KpiEvent.Count(s.RespondedAt, Counter.CsatSatisfied));
                break;
            case SurveyKind.Nps:
                // NPS is defined on 0-10; other scales are mapped onto it first.
                var nps = Math.Round(Map(score, s.ScaleMin, s.ScaleMax, 0, 10), 6);
                if (nps >= 9)
                {
                    into.Add(KpiEvent.Count(s.RespondedAt, Counter.NpsPromoters));
                }
                else if (nps <= 6)
                {
                    into.Add(KpiEvent.Count(s.RespondedAt, Counter.NpsDetractors));
                }

                break;
            case SurveyKind.Ces:
                var (min, max) = options.Surveys.CesScale;
                var ces = Map(score, s.ScaleMin, s.ScaleMax, min, max);
                into.Add(new KpiEvent(s.RespondedAt.ToUnixTimeMilliseconds(), false, (int)Counter.CesScoreMilli, (long)Math.Round(ces * 1000)));
                var mid = (min + max) / 2;
                if (options.Surveys.CesLowIsEasy ? ces < mid : ces > mid)
                {
                    into.Add(KpiEvent.Count(s.RespondedAt, Counter.CesLowEffort));
                }

                break;
        }
    }

    public static void Of(MessageEvent m, List<KpiEvent> into, List<string> rejected)
    {
        into.Add(KpiEvent.Count(m.At, m.Direction == MessageDirection.Inbound ? Counter.MessagesIn : Counter.MessagesOut));
        if (m.Direction == MessageDirection.Outbound && m.Author != AuthorKind.Customer && m.RespondsToAt is { } asked)
        {
            if (m.At < asked)
            {
                rejected.Add(RejectionReasons.ReplyBeforeQuestion);
            }
            else
            {
                into.Add(KpiEvent.Duration(m.At, Dist.Response, m.At - asked));
            }
        }
    }

    /// <summary>Agent time, split at bucket boundaries so each part counts in the bucket where it was spent.</summary>
    public static void Of(AgentActivity a, long bucketMs, List<KpiEvent> into, List<string> rejected)
    {
        if (a.To is not { } to || a.State is AgentState.Away or AgentState.Offline)
        {
            return; // an open interval counts once it is closed; away and offline time is not capacity
        }

        var capacity = a.Capacity is > 0 ? a.Capacity.Value : 1;
        if (to < a.From || a.WorkItems < 0)
        {
            rejected.Add(RejectionReasons.InvalidInterval);
            return;
        }

        var busyShare = a.WorkItems is { } items ? Math.Min(items, capacity) : a.State == AgentState.Busy ? capacity : 0;
        foreach (var (at, ms) in Split(a.From.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds(), bucketMs))
        {
            into.Add(new KpiEvent(at, false, (int)Counter.AgentStaffedMs, ms));
            into.Add(new KpiEvent(at, false, (int)Counter.AgentCapacityMs, (long)Math.Round(ms * capacity)));
            into.Add(new KpiEvent(at, false, (int)Counter.AgentBusyMs, (long)Math.Round(ms * busyShare)));
        }
    }

    /// <summary>Splits [from, to) at bucket boundaries: (start of the part, its length).</summary>
    public static IEnumerable<(long At, long Ms)> Split(long from, long to, long bucketMs)
    {
        for (var start = from; start < to;)
        {
            var end = Math.Min(to, (Math.DivRem(start, bucketMs, out var rem) + (rem < 0 ? 0 : 1)) * bucketMs);
            if (end <= start)
            {
                end = Math.Min(to, start + bucketMs);
            }

            yield return (start, end - start);
            start = end;
        }
    }

    private void Ended(Conversation c, List<KpiEvent> into, List<string> rejected)
    {
        var resolved = c.ResolvedAt;
        var end = resolved ?? c.ClosedAt ?? c.UpdatedAt;
        if (end >= c.CreatedAt)
        {
            into.Add(KpiEvent.Count(end, Counter.Ended));
            var humanReplied = c.FirstHumanResponseAt is not null || c.FirstResponderKind == ResponderKind.Human;
            var botResolved = c.Status == ConversationStatus.Solved && c.FirstResponderKind == ResponderKind.Bot && !humanReplied;
            if (!humanReplied && !botResolved)
            {
                into.Add(KpiEvent.Count(end, Counter.Abandoned));
            }
        }

        // Resolved: at the latest resolution while the conversation stays solved or closed; a reopen retracts it.
        if (resolved is not { } r)
        {
            return;
        }

        if (r < c.CreatedAt)
        {
            rejected.Add(RejectionReasons.ResolutionBeforeCreation);
            return;
        }

        into.Add(KpiEvent.Count(r, Counter.TicketsResolved));
        into.Add(KpiEvent.Duration(r, Dist.Resolution, r - c.CreatedAt));
        if (c.HandleTime is { } handle && handle >= TimeSpan.Zero)
        {
            into.Add(KpiEvent.Duration(r, Dist.Handle, handle));
        }

        // FCR needs both the reply count and the reopens: a platform that cannot say whether a conversation was
        // reopened cannot say it was resolved at first contact either (unknown, not counted as a first-contact resolution).
        bool? fcr = null;
        if (c.AgentPublicReplies is { } replies && c.Reopens is { } reopenCount)
        {
            fcr = replies <= options.FcrMaxReplies && reopenCount == 0;
            into.Add(KpiEvent.Count(r, Counter.FcrEligible));
            if (fcr.Value)
            {
                into.Add(KpiEvent.Count(r, Counter.FcrResolved));
            }
        }

        if (c.Reopens is { } reopens)
        {
            into.Add(KpiEvent.Count(r, Counter.ReopenEligible));
            if (reopens > 0)
            {
                into.Add(KpiEvent.Count(r, Counter.Reopened));
            }
        }

        if (Quality(c, r, fcr) is { } quality)
        {
            into.Add(new KpiEvent(r.ToUnixTimeMilliseconds(), false, (int)Counter.QualityScoreMilli, (long)Math.Round(quality * 1000)));
            into.Add(KpiEvent.Count(r, Counter.QualityScored));
        }
    }

    private double? Quality(Conversation c, DateTimeOffset resolved, bool? fcr)
    {
        var q = options.Quality;
        double weight = 0, met = 0;
        void Criterion(double w, bool? ok)
        {
            if (w > 0 && ok is { } value)
            {
                weight += w;
                met += value ? w : 0;
            }
        }

        Criterion(q.FirstResponse, q.FirstResponseTarget is { } frt && c.FirstResponseAt is { } f && f >= c.CreatedAt ? f - c.CreatedAt <= frt : null);
        Criterion(q.Resolution, q.ResolutionTarget is { } rt ? resolved - c.CreatedAt <= rt : null);
        Criterion(q.FirstContactResolution, fcr);
        Criterion(q.Satisfied, c.Csat is { } s && s.Score >= s.ScaleMin && s.Score <= s.ScaleMax
            ? s.Score >= options.Surveys.CsatThreshold(s.ScaleMin, s.ScaleMax)
            : null);
        return weight > 0 ? met / weight : null;
    }

    private static double Map(double v, double fromMin, double fromMax, double toMin, double toMax) =>
        fromMin == toMin && fromMax == toMax ? v : toMin + ((v - fromMin) / (fromMax - fromMin) * (toMax - toMin));
}
