using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces;

/// <summary>
/// One face's view of the simulated helpdesk: a <see cref="TrafficSimulation"/> kept up to a horizon behind the clock,
/// with every version it produced in a change log, the latest version of each conversation, and the survey responses.
/// Faces read it the way their platform's API reads its database.
/// </summary>
/// <remarks>
/// <para>
/// Each face has its own instance with its own horizon lag (Zendesk leaves out the last minute). The simulation is
/// deterministic, so two faces with the same seed and epoch see the same traffic.
/// </para>
/// <para>
/// Every log entry carries a sequence number (the position cursors point at) and the instant the simulation had
/// reached when it produced the version (a monotonic "generated" timestamp, like Zendesk's
/// <c>generated_timestamp</c>, at or after the version's <c>updated_at</c>). Superseded versions are compacted away;
/// sequence numbers stay valid. Thread-safe: requests are served concurrently.
/// </para>
/// </remarks>
public sealed class SimulatedHelpdesk
{
    private static readonly TimeSpan CatchUpStep = TimeSpan.FromHours(1);
    private readonly Lock _gate = new();
    private readonly TrafficSimulation _simulation;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lag;
    private readonly List<Entry> _log = [];
    private readonly Dictionary<string, long> _latestSequence = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Conversation> _latest = new(StringComparer.Ordinal);
    private readonly List<SurveyResponse> _surveys = [];
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);

    private readonly Dictionary<string, SurveyResponse> _csatByConversation = new(StringComparer.Ordinal);
    private readonly bool _csatAnswersUpdate;
    private long _nextSequence = 1;

    /// <param name="csatAnswersUpdate">
    /// A CSAT answer changes its conversation (Zendesk's legacy ratings: the ticket's <c>satisfaction_rating</c> changes,
    /// so the ticket is updated at the answer and comes again in the change log).
    /// </param>
    public SimulatedHelpdesk(SimulatorOptions model, DateTimeOffset epoch, TimeProvider time, TimeSpan lag, bool csatAnswersUpdate = false)
    {
        _simulation = new TrafficSimulation(model, "simulator", epoch);
        _time = time;
        _lag = lag;
        _csatAnswersUpdate = csatAnswersUpdate;
    }

    public DateTimeOffset Epoch => _simulation.Epoch;

    /// <summary>How far the simulation has run: the data is complete up to here.</summary>
    public DateTimeOffset Horizon
    {
        get { lock (_gate) { return _simulation.Now; } }
    }

    /// <summary>One version of a conversation in the change log.</summary>
    public readonly record struct Entry(long Sequence, DateTimeOffset Generated, Conversation Conversation);

    /// <summary>Runs the simulation up to the clock minus the lag (in hourly steps, so a backfill's versions spread over time).</summary>
    public void CatchUp()
    {
        lock (_gate)
        {
            var target = _time.GetUtcNow() - _lag;
            while (_simulation.Now < target)
            {
                var until = _simulation.Now + CatchUpStep < target ? _simulation.Now + CatchUpStep : target;
                var delta = _simulation.AdvanceTo(until);
                foreach (var c in delta.Conversations)
                {
                    if (_deleted.Contains(c.ExternalId))
                    {
                        continue; // deleted: the simulation goes on with it, the platform does not
                    }

                    var sequence = _nextSequence++;
                    _log.Add(new Entry(sequence, until, c));
                    _latestSequence[c.ExternalId] = sequence;
                    _latest[c.ExternalId] = c;
                }

                _surveys.AddRange(delta.Surveys);
                foreach (var survey in delta.Surveys.Where(r => r.Kind == SurveyKind.Csat && r.ConversationId is not null))
                {
                    _csatByConversation[survey.ConversationId!] = survey;
                    if (_csatAnswersUpdate && survey.Score is not null && _latest.TryGetValue(survey.ConversationId!, out var rated) && rated.UpdatedAt < survey.RespondedAt)
                    {
                        var sequence = _nextSequence++;
                        var updated = rated with { UpdatedAt = survey.RespondedAt };
                        _log.Add(new Entry(sequence, until, updated));
                        _latestSequence[updated.ExternalId] = sequence;
                        _latest[updated.ExternalId] = updated;
                    }
                }
            }

            Compact();
        }
    }

    /// <summary>The first sequence whose generated timestamp is at or after <paramref name="at"/> (one past the end when none).</summary>
    public long SequenceAt(DateTimeOffset at)
    {
        lock (_gate)
        {
            var i = _log.FindIndex(e => e.Generated >= at);
            return i < 0 ? _nextSequence : _log[i].Sequence;
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> conversations whose latest version lies at or after <paramref name="from"/>, in log
    /// order; the sequence to continue from; and whether that is the end of the log.
    /// </summary>
    public (List<Entry> Entries, long Next, bool End) ReadChanges(long from, int max)
    {
        lock (_gate)
        {
            var entries = new List<Entry>();
            var i = FirstIndexAtOrAfter(from);
            for (; i < _log.Count && entries.Count < max; i++)
            {
                var e = _log[i];
                if (_latestSequence[e.Conversation.ExternalId] == e.Sequence && !_deleted.Contains(e.Conversation.ExternalId))
                {
                    entries.Add(e);
                }
            }

            var next = i < _log.Count ? _log[i].Sequence : _nextSequence;
            return (entries, next, i >= _log.Count);
        }
    }

    /// <summary>
    /// Deletes a conversation the way an agent deletes a ticket: gone from every list and lookup from now on, and, as
    /// when an incremental read misses a change, left out of the change log too.
    /// </summary>
    public bool Delete(string externalId)
    {
        lock (_gate)
        {
            _deleted.Add(externalId);
            return _latest.Remove(externalId);
        }
    }

    public Conversation? Get(string externalId)
    {
        lock (_gate)
        {
            return _latest.GetValueOrDefault(externalId);
        }
    }

    /// <summary>The latest version of every conversation, in no particular order (a list endpoint sorts it its own way).</summary>
    public IReadOnlyList<Conversation> Latest()
    {
        lock (_gate)
        {
            return [.. _latest.Values];
        }
    }

    /// <summary>Every survey response given up to the horizon, in time order.</summary>
    public IReadOnlyList<SurveyResponse> Surveys()
    {
        lock (_gate)
        {
            return [.. _surveys];
        }
    }

    /// <summary>The conversation's CSAT survey up to the horizon: its answer, or the offer nobody answered; null when none yet.</summary>
    public SurveyResponse? CsatOf(string conversationId)
    {
        lock (_gate)
        {
            return _csatByConversation.GetValueOrDefault(conversationId);
        }
    }

    private int FirstIndexAtOrAfter(long sequence)
    {
        int lo = 0, hi = _log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_log[mid].Sequence < sequence)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Drops superseded versions once they outnumber the live ones; sequence numbers keep their meaning.</summary>
    private void Compact()
    {
        if (_log.Count < 10_000 || _log.Count < 2 * _latestSequence.Count)
        {
            return;
        }

        _log.RemoveAll(e => _latestSequence[e.Conversation.ExternalId] != e.Sequence);
    }
}
