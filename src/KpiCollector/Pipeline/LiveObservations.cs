using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;

namespace KpiCollector.Pipeline;

/// <summary>
/// What happened live, for the counters and the histogram of docs/metrics.md ("SLA"): SLA outcomes decided and first
/// responses seen since the process started, limited to a recent horizon so that a backfill or a restart does not
/// spike them. Plain state; the exporter turns it into prometheus counters at each scrape.
/// </summary>
public sealed class LiveObservations(TimeProvider time)
{
    /// <summary>Events older than this when they are learned are history, not live.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Source, string Channel, string Policy), (long Events, long Breaches)> _outcomes = [];
    private readonly List<FirstResponse> _pendingFirstResponses = [];

    public void Record(IEnumerable<SlaOutcome> newlyDecided)
    {
        var since = time.GetUtcNow() - Horizon;
        lock (_gate)
        {
            foreach (var o in newlyDecided.Where(o => o.DecidedAt >= since))
            {
                var key = (o.Source, o.Channel, o.Policy);
                var (events, breaches) = _outcomes.GetValueOrDefault(key);
                _outcomes[key] = (events + 1, breaches + (o.Met ? 0 : 1));
            }
        }
    }

    /// <summary>First responses that appear in these changes (no first response before, one now), if recent.</summary>
    public void Record(IEnumerable<RecordChange<Conversation>> changes)
    {
        var since = time.GetUtcNow() - Horizon;
        lock (_gate)
        {
            foreach (var (old, c) in changes)
            {
                if (old?.FirstResponseAt is null && c.FirstResponseAt is { } first && first >= since && first >= c.CreatedAt)
                {
                    _pendingFirstResponses.Add(new FirstResponse(c.Source, Channels.Normalize(c.Channel), (first - c.CreatedAt).TotalSeconds, c.ExternalId));
                }
            }
        }
    }

    /// <summary>Cumulative SLA outcome counts per source, channel and policy.</summary>
    public IReadOnlyDictionary<(string Source, string Channel, string Policy), (long Events, long Breaches)> Outcomes
    {
        get { lock (_gate) { return new Dictionary<(string, string, string), (long, long)>(_outcomes); } }
    }

    /// <summary>Takes the first responses observed since the last call.</summary>
    public IReadOnlyList<FirstResponse> DrainFirstResponses()
    {
        lock (_gate)
        {
            var drained = _pendingFirstResponses.ToList();
            _pendingFirstResponses.Clear();
            return drained;
        }
    }
}

/// <summary>A first response seen live: where, how long it took, and the conversation (the histogram's exemplar).</summary>
public readonly record struct FirstResponse(string Source, string Channel, double Seconds, string ConversationId);
