using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;

namespace KpiCollector.Tests.Support;

/// <summary>
/// A from-scratch computation of the KPIs over a set of records, written independently of the engine's buckets:
/// it filters every record against the window on each call. The engine must agree with it exactly (counts, means)
/// and within 1 % (percentiles).
/// </summary>
internal sealed class ReferenceKpis(EngineOptions options)
{
    private readonly SurveyScoring _scoring = options.Surveys;

    /// <summary>
    /// Window W at time now holds event times whose bucket is one of the last W/width buckets up to now's bucket,
    /// the width being the fine one up to a day and the coarse one beyond.
    /// </summary>
    public bool InWindow(DateTimeOffset at, DateTimeOffset now, TimeSpan window)
    {
        var width = (long)(window > options.FineHorizon ? options.CoarseBucketWidth : options.BucketWidth).TotalMilliseconds;
        var b = Floor(at.ToUnixTimeMilliseconds(), width);
        var c = Floor(now.ToUnixTimeMilliseconds(), width);
        return b <= c && b > c - (long)(window.TotalMilliseconds / width);
    }

    public long Created(IEnumerable<Conversation> cs, string? channel, DateTimeOffset now, TimeSpan w) =>
        Of(cs, channel).Count(c => InWindow(c.CreatedAt, now, w));

    public long Resolved(IEnumerable<Conversation> cs, string? channel, DateTimeOffset now, TimeSpan w) =>
        ResolutionTimes(cs, channel, now, w).Count;

    public List<double> ResolutionTimes(IEnumerable<Conversation> cs, string? channel, DateTimeOffset now, TimeSpan w) =>
        Of(cs, channel)
            .Where(c => c.Status is ConversationStatus.Solved or ConversationStatus.Closed && c.ResolvedAt is { } r && r >= c.CreatedAt && InWindow(r, now, w))
            .Select(c => (c.ResolvedAt!.Value - c.CreatedAt).TotalSeconds).ToList();

    public List<double> FirstResponseTimes(IEnumerable<Conversation> cs, string? channel, string responder, DateTimeOffset now, TimeSpan w)
    {
        var values = new List<double>();
        foreach (var c in Of(cs, channel))
        {
            DateTimeOffset? at = responder switch
            {
                "all" => c.FirstResponseAt,
                "bot" => c.FirstResponderKind == ResponderKind.Bot ? c.FirstResponseAt : null,
                _ => c.FirstHumanResponseAt ?? (c.FirstResponderKind == ResponderKind.Human ? c.FirstResponseAt : null),
            };
            if (at is { } a && a >= c.CreatedAt && InWindow(a, now, w))
            {
                values.Add((a - c.CreatedAt).TotalSeconds);
            }
        }

        return values;
    }

    public (long Responses, long Satisfied) Csat(IEnumerable<SurveyResponse> ss, string? channel, DateTimeOffset now, TimeSpan w)
    {
        var inWindow = ss.Where(s => s.Kind == SurveyKind.Csat && (channel is null || s.Channel == channel)
            && s.Score is { } score && score >= s.ScaleMin && score <= s.ScaleMax && InWindow(s.RespondedAt, now, w)).ToList();
        return (inWindow.Count, inWindow.Count(s => s.Score >= _scoring.CsatThreshold(s.ScaleMin, s.ScaleMax)));
    }

    /// <summary>Conversations that ended (at resolved_at, else closed_at) in the window, and those abandoned.</summary>
    public (long Ended, long Abandoned) Abandonment(IEnumerable<Conversation> cs, string? channel, DateTimeOffset now, TimeSpan w)
    {
        var ended = Of(cs, channel).Where(c => c.Status is ConversationStatus.Solved or ConversationStatus.Closed
            && (c.ResolvedAt ?? c.ClosedAt ?? c.UpdatedAt) is var end && end >= c.CreatedAt && InWindow(end, now, w)).ToList();
        var abandoned = ended.Count(c => c.FirstHumanResponseAt is null && c.FirstResponderKind != ResponderKind.Human
            && !(c.Status == ConversationStatus.Solved && c.FirstResponderKind == ResponderKind.Bot));
        return (ended.Count, abandoned);
    }

    public long DistinctRequesters(IEnumerable<Conversation> cs, string? channel, DateTimeOffset now, TimeSpan w) =>
        Of(cs, channel).Where(c => c.RequesterId is not null && InWindow(c.CreatedAt, now, w)).Select(c => c.RequesterId).Distinct().Count();

    public long Backlog(IEnumerable<Conversation> cs, string? channel, ConversationStatus status) =>
        Of(cs, channel).Count(c => c.Status == status);

    /// <summary>Nearest rank: the value of rank ceil(q·n).</summary>
    public static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        var rank = Math.Max(1, (int)Math.Ceiling(q * sorted.Count));
        return sorted[rank - 1];
    }

    private static IEnumerable<Conversation> Of(IEnumerable<Conversation> cs, string? channel) =>
        channel is null ? cs : cs.Where(c => c.Channel == channel);

    private static long Floor(long v, long width) => (long)Math.Floor((double)v / width);
}
