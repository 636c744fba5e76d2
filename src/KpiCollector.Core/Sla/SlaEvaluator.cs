using KpiCollector.Core.Records;

namespace KpiCollector.Core.Sla;

/// <summary>
/// Decides SLA outcomes (docs/metrics.md, "SLA") and tracks the clocks still running.
/// <list type="bullet">
/// <item><see cref="Decide(Conversation, List{SlaOutcome})"/> is pure: what a record version settles by itself — met when
/// the stop came within the deadline, breached (at the deadline) when it came after. The store records these in the
/// same transaction as the batch.</item>
/// <item><see cref="Track(RecordChange{Conversation})"/> keeps the clocks that have not stopped, and
/// <see cref="Advance"/> breaches those whose deadline the source's watermark has passed: only then is it known
/// that no reply came in time (a reply before the deadline that is not yet polled is not a breach).</item>
/// </list>
/// Proposals may repeat (after a restart, say); the store keeps the first, so each clock is decided once.
/// </summary>
public sealed class SlaEvaluator(IReadOnlyList<SlaPolicy> policies)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ClockKey, Clock> _clocks = [];
    private readonly Dictionary<string, SortedSet<(long DeadlineMs, ClockKey Key)>> _undecided = [];
    private Action<ClockKey, Clock?>? _applyEffect;

    public IReadOnlyList<SlaPolicy> Policies { get; } = policies;

    /// <summary>Outcomes this conversation version settles on its own (no watermark needed).</summary>
    public void Decide(Conversation c, List<SlaOutcome> into)
    {
        foreach (var (policy, start, stop) in ClocksOf(c))
        {
            if (stop is not { } s)
            {
                // Ended without a stop: breached if it ended after the deadline; dropped if it ended before it.
                if (EndOf(c) is { } end && end > policy.DeadlineFor(start))
                {
                    into.Add(Outcome(policy, c.Source, c.ExternalId, start, met: false, policy.DeadlineFor(start), c.Channel, c.Team));
                }

                continue;
            }

            var deadline = policy.DeadlineFor(start);
            into.Add(Outcome(policy, c.Source, c.ExternalId, start, s <= deadline, s <= deadline ? s : deadline, c.Channel, c.Team));
        }
    }

    /// <summary>Next-response outcomes a business reply settles.</summary>
    public void Decide(MessageEvent m, List<SlaOutcome> into)
    {
        if (m.Direction != MessageDirection.Outbound || m.Author == AuthorKind.Customer || m.RespondsToAt is not { } start || m.At < start)
        {
            return;
        }

        foreach (var policy in Policies)
        {
            if (policy.Metric != SlaMetric.NextResponse || !policy.Covers(m.Channel, null, null) || (policy.HumanOnly && m.Author != AuthorKind.Human))
            {
                continue;
            }

            var deadline = policy.DeadlineFor(start);
            into.Add(Outcome(policy, m.Source, m.ConversationId, start, m.At <= deadline, m.At <= deadline ? m.At : deadline, m.Channel, null));
        }
    }

    /// <summary>Keeps the running clocks of a conversation up to date (retracting the old version's).</summary>
    public void Track(RecordChange<Conversation> change)
    {
        lock (_gate)
        {
            Tracking(change, ApplyEffect);
        }
    }

    /// <summary>Starts a next-response clock for a customer message that opens a wait; a reply that answers it stops it.</summary>
    public void Track(MessageEvent m)
    {
        lock (_gate)
        {
            Tracking(m, ApplyEffect);
        }
    }

    /// <summary>
    /// What tracking the change does to the clocks, in order: each key with its new running clock, or null where the
    /// clock is removed. <see cref="Track(RecordChange{Conversation})"/> applies it; <see cref="Plan"/> only
    /// collects it.
    /// </summary>
    private void Tracking(RecordChange<Conversation> change, Action<ClockKey, Clock?> effect)
    {
        if (change.Old is { } old)
        {
            foreach (var (policy, start, _) in ClocksOf(old))
            {
                effect(new ClockKey(policy.Name, old.Source, old.ExternalId, start.ToUnixTimeMilliseconds()), null);
            }
        }

        var c = change.New;
        if (c.Status.IsEnded())
        {
            return; // no running clock on an ended conversation; Decide settled what there was to settle
        }

        foreach (var (policy, start, stop) in ClocksOf(c))
        {
            if (stop is null)
            {
                effect(new ClockKey(policy.Name, c.Source, c.ExternalId, start.ToUnixTimeMilliseconds()), new Clock(policy, policy.DeadlineFor(start), c.Channel, c.Team));
            }
        }
    }

    /// <summary>What tracking the message does to the clocks (see <see cref="Tracking(RecordChange{Conversation}, Action{ClockKey, Clock})"/>).</summary>
    private void Tracking(MessageEvent m, Action<ClockKey, Clock?> effect)
    {
        foreach (var policy in Policies)
        {
            if (policy.Metric != SlaMetric.NextResponse || !policy.Covers(m.Channel, null, null))
            {
                continue;
            }

            if (m.Direction == MessageDirection.Inbound && m.StartsWait)
            {
                effect(new ClockKey(policy.Name, m.Source, m.ConversationId, m.At.ToUnixTimeMilliseconds()), new Clock(policy, policy.DeadlineFor(m.At), m.Channel, null));
            }
            else if (m.Direction == MessageDirection.Outbound && m.RespondsToAt is { } start && (!policy.HumanOnly || m.Author == AuthorKind.Human))
            {
                effect(new ClockKey(policy.Name, m.Source, m.ConversationId, start.ToUnixTimeMilliseconds()), null);
            }
        }
    }

    /// <summary>Drops every clock of <paramref name="source"/>, running or decided (a replica handing the source over).</summary>
    public void Forget(string source)
    {
        lock (_gate)
        {
            foreach (var key in _clocks.Keys.Where(k => k.Source == source).ToList())
            {
                _clocks.Remove(key);
            }

            _undecided.Remove(source);
        }
    }

    /// <summary>Breaches, at their deadlines, the running clocks of <paramref name="source"/> whose deadline the watermark has passed.</summary>
    public void Advance(string source, DateTimeOffset watermark, List<SlaOutcome> into)
    {
        lock (_gate)
        {
            if (!_undecided.TryGetValue(source, out var queue))
            {
                return;
            }

            var limit = watermark.ToUnixTimeMilliseconds();
            while (queue.Count > 0 && queue.Min.DeadlineMs <= limit)
            {
                var (deadlineMs, key) = queue.Min;
                queue.Remove(queue.Min);
                var clock = _clocks[key];
                clock.Decided = true;
                into.Add(Outcome(clock.Policy, key.Source, key.ConversationId, DateTimeOffset.FromUnixTimeMilliseconds(key.StartMs),
                    met: false, DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs), clock.Channel, clock.Team));
            }
        }
    }

    /// <summary>
    /// What a page does to the clocks, planned before its commit: tracking every conversation change, then every
    /// message (as <see cref="Track(RecordChange{Conversation})"/> and <see cref="Track(MessageEvent)"/> would, in that
    /// order), then breaching the running clocks of <paramref name="source"/> whose deadline <paramref name="watermark"/>
    /// has passed (as <see cref="Advance"/> would). Nothing changes here: <see cref="ApplyUntilCommitted"/> applies the
    /// plan while the page commits, and <see cref="SlaPage.Breaches"/> are recorded in the page's own transaction. The
    /// plan reads the clocks as the source's last page left them: a source's pages are ingested one after the other,
    /// each applied before the next is planned (the poller's order).
    /// </summary>
    public SlaPage Plan(string source, IReadOnlyList<RecordChange<Conversation>> conversations, IReadOnlyList<MessageEvent> messages, DateTimeOffset? watermark)
    {
        // The net effect on each clock the page touches (its last one: a new running clock, or none) does not depend
        // on the clocks, only on the changes: no lock needed.
        var touched = new Dictionary<ClockKey, Clock?>();
        Action<ClockKey, Clock?> collect = (key, clock) => touched[key] = clock;
        foreach (var change in conversations)
        {
            Tracking(change, collect);
        }

        foreach (var m in messages)
        {
            Tracking(m, collect);
        }

        var due = new List<(long DeadlineMs, ClockKey Key, Clock Clock)>();
        if (watermark is { } w)
        {
            var limit = w.ToUnixTimeMilliseconds();
            lock (_gate)
            {
                if (_undecided.TryGetValue(source, out var queue))
                {
                    foreach (var (deadlineMs, key) in queue)
                    {
                        if (deadlineMs > limit)
                        {
                            break;
                        }

                        if (!touched.ContainsKey(key))
                        {
                            due.Add((deadlineMs, key, _clocks[key]));
                        }
                    }
                }
            }

            foreach (var (key, clock) in touched)
            {
                if (clock is not null && key.Source == source && clock.Deadline.ToUnixTimeMilliseconds() <= limit)
                {
                    due.Add((clock.Deadline.ToUnixTimeMilliseconds(), key, clock));
                }
            }

            due.Sort((a, b) => a.DeadlineMs != b.DeadlineMs ? a.DeadlineMs.CompareTo(b.DeadlineMs) : a.Key.CompareTo(b.Key));
        }

        var breaches = new List<SlaOutcome>(due.Count);
        foreach (var (deadlineMs, key, clock) in due)
        {
            breaches.Add(Outcome(clock.Policy, key.Source, key.ConversationId, DateTimeOffset.FromUnixTimeMilliseconds(key.StartMs),
                met: false, DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs), clock.Channel, clock.Team));
        }

        return new SlaPage(touched, due, breaches);
    }

    /// <summary>
    /// Applies a <see cref="Plan"/> and holds the clocks' lock until <paramref name="committed"/> says whether the page
    /// committed: kept if it did, undone (every touched clock as it was) if not, so no reader ever sees the clocks of a
    /// page that did not commit. Returns what <paramref name="committed"/> returned.
    /// </summary>
    public bool ApplyUntilCommitted(SlaPage page, Func<bool> committed)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(committed);
        lock (_gate)
        {
            // Each clock the page changes, as it was (null: none), to undo the page if it does not commit.
            var before = new List<(ClockKey Key, Clock? Clock, bool Decided)>(page.Effects.Count + page.Due.Count);
            foreach (var (key, clock) in page.Effects)
            {
                before.Add(Saved(key));
                if (clock is null)
                {
                    Remove(key);
                }
                else
                {
                    Add(key, clock);
                }
            }

            foreach (var (deadlineMs, key, _) in page.Due)
            {
                if (!page.Effects.ContainsKey(key))
                {
                    before.Add(Saved(key));
                }

                // As Advance does: decided, out of the queue (the clock stays known until its conversation stops it).
                if (_clocks.TryGetValue(key, out var clock) && !clock.Decided)
                {
                    clock.Decided = true;
                    _undecided[key.Source].Remove((deadlineMs, key));
                }
            }

            var keep = false;
            try
            {
                keep = committed();
            }
            finally
            {
                if (!keep)
                {
                    for (var i = before.Count - 1; i >= 0; i--)
                    {
                        Restore(before[i]);
                    }
                }
            }

            return keep;
        }
    }

    private (ClockKey Key, Clock? Clock, bool Decided) Saved(ClockKey key) =>
        _clocks.TryGetValue(key, out var clock) ? (key, clock, clock.Decided) : (key, null, false);

    private void Restore((ClockKey Key, Clock? Clock, bool Decided) saved)
    {
        Remove(saved.Key);
        if (saved.Clock is { } clock)
        {
            clock.Decided = saved.Decided;
            _clocks[saved.Key] = clock;
            if (!clock.Decided)
            {
                Queue(saved.Key.Source).Add((clock.Deadline.ToUnixTimeMilliseconds(), saved.Key));
            }
        }
    }

    /// <summary>Running clocks now: past their deadline (breaching) or within the at-risk lead of it, per source, channel and policy.</summary>
    public IReadOnlyList<SlaOpenCount> Open(DateTimeOffset now)
    {
        lock (_gate)
        {
            var counts = new Dictionary<(string Source, string Channel, string Policy), (long Breaching, long AtRisk)>();
            foreach (var (key, clock) in _clocks)
            {
                var breaching = clock.Deadline <= now;
                var atRisk = !breaching && clock.Deadline - now <= clock.Policy.AtRisk;
                foreach (var channel in new[] { clock.Channel, Channels.All })
                {
                    var k = (key.Source, channel, key.Policy);
                    var (b, r) = counts.GetValueOrDefault(k);
                    counts[k] = (b + (breaching ? 1 : 0), r + (atRisk ? 1 : 0));
                }
            }

            return counts.Select(kv => new SlaOpenCount(kv.Key.Source, kv.Key.Channel, kv.Key.Policy, kv.Value.Breaching, kv.Value.AtRisk)).ToList();
        }
    }

    /// <summary>
    /// The running clocks themselves, each with its state now: the conversations behind <see cref="Open"/>'s counts,
    /// for the drill-down. A copy taken under the lock, so a caller never sees a clock half-updated by a batch.
    /// </summary>
    public IReadOnlyList<RunningClock> Running(DateTimeOffset now)
    {
        lock (_gate)
        {
            var clocks = new List<RunningClock>(_clocks.Count);
            foreach (var (key, clock) in _clocks)
            {
                var state = clock.Deadline <= now ? ClockState.Breaching
                    : clock.Deadline - now <= clock.Policy.AtRisk ? ClockState.AtRisk
                    : ClockState.Running;
                clocks.Add(new RunningClock(key.Policy, key.Source, key.ConversationId, DateTimeOffset.FromUnixTimeMilliseconds(key.StartMs),
                    clock.Deadline, clock.Channel, clock.Team, state));
            }

            return clocks;
        }
    }

    private IEnumerable<(SlaPolicy Policy, DateTimeOffset Start, DateTimeOffset? Stop)> ClocksOf(Conversation c)
    {
        var channel = Channels.Normalize(c.Channel);
        foreach (var policy in Policies)
        {
            if (!policy.Covers(channel, c.Priority, c.Team))
            {
                continue;
            }

            DateTimeOffset? stop = policy.Metric switch
            {
                SlaMetric.FirstResponse when policy.HumanOnly =>
                    c.FirstHumanResponseAt ?? (c.FirstResponderKind == ResponderKind.Human ? c.FirstResponseAt : null),
                SlaMetric.FirstResponse => c.FirstResponseAt,
                SlaMetric.Resolution => c.FirstResolvedAt ?? (c.Status.IsEnded() ? c.ResolvedAt : null),
                _ => null,
            };
            if (policy.Metric is SlaMetric.FirstResponse or SlaMetric.Resolution && (stop is null || stop >= c.CreatedAt))
            {
                yield return (policy, c.CreatedAt, stop);
            }
        }
    }

    private static DateTimeOffset? EndOf(Conversation c) =>
        c.Status.IsEnded() ? c.ResolvedAt ?? c.ClosedAt ?? c.UpdatedAt : null;

    /// <summary>Applies one effect of tracking (one delegate for the evaluator's life: tracking is on the ingest's hot path).</summary>
    private Action<ClockKey, Clock?> ApplyEffect => _applyEffect ??= (key, clock) =>
    {
        if (clock is null)
        {
            Remove(key);
        }
        else
        {
            Add(key, clock);
        }
    };

    private void Add(ClockKey key, Clock clock)
    {
        Remove(key);
        _clocks[key] = clock;
        Queue(key.Source).Add((clock.Deadline.ToUnixTimeMilliseconds(), key));
    }

    private SortedSet<(long DeadlineMs, ClockKey Key)> Queue(string source)
    {
        if (!_undecided.TryGetValue(source, out var queue))
        {
            _undecided[source] = queue = [];
        }

        return queue;
    }

    private void Remove(ClockKey key)
    {
        if (_clocks.Remove(key, out var clock) && !clock.Decided && _undecided.TryGetValue(key.Source, out var queue))
        {
            queue.Remove((clock.Deadline.ToUnixTimeMilliseconds(), key));
        }
    }

    private static SlaOutcome Outcome(SlaPolicy p, string source, string id, DateTimeOffset start, bool met, DateTimeOffset decidedAt, string channel, string? team) => new()
    {
        Policy = p.Name,
        Source = source,
        ConversationId = id,
        Start = start,
        Met = met,
        DecidedAt = decidedAt,
        Channel = Channels.Normalize(channel),
        Team = team,
    };

    internal readonly record struct ClockKey(string Policy, string Source, string ConversationId, long StartMs) : IComparable<ClockKey>
    {
        /// <summary>The conversation and the start alone: a handful of policies and sources hardly ever collide, and one string hashed is a third of three.</summary>
        public override int GetHashCode() => HashCode.Combine(ConversationId, StartMs);

        public int CompareTo(ClockKey other)
        {
            var c = string.CompareOrdinal(Policy, other.Policy);
            if (c == 0) { c = string.CompareOrdinal(Source, other.Source); }
            if (c == 0) { c = string.CompareOrdinal(ConversationId, other.ConversationId); }
            return c != 0 ? c : StartMs.CompareTo(other.StartMs);
        }
    }

    internal sealed class Clock(SlaPolicy policy, DateTimeOffset deadline, string channel, string? team)
    {
        public SlaPolicy Policy { get; } = policy;
        public DateTimeOffset Deadline { get; } = deadline;
        public string Channel { get; } = Channels.Normalize(channel);
        public string? Team { get; } = team;
        public bool Decided { get; set; }
    }
}

/// <summary>
/// What one page does to the SLA clocks (<see cref="SlaEvaluator.Plan"/>): the net effect on each clock it touches,
/// the running clocks its watermark breaches, and those breaches as outcomes.
/// </summary>
public sealed class SlaPage
{
    internal SlaPage(Dictionary<SlaEvaluator.ClockKey, SlaEvaluator.Clock?> effects, List<(long DeadlineMs, SlaEvaluator.ClockKey Key, SlaEvaluator.Clock Clock)> due, List<SlaOutcome> breaches)
    {
        Effects = effects;
        Due = due;
        Breaches = breaches;
    }

    /// <summary>The breaches the page's watermark settles, in deadline order (recorded in the page's transaction).</summary>
    public IReadOnlyList<SlaOutcome> Breaches { get; }

    /// <summary>True when applying the page would change no clock.</summary>
    public bool IsEmpty => Effects.Count == 0 && Due.Count == 0;

    internal Dictionary<SlaEvaluator.ClockKey, SlaEvaluator.Clock?> Effects { get; }

    internal List<(long DeadlineMs, SlaEvaluator.ClockKey Key, SlaEvaluator.Clock Clock)> Due { get; }
}

/// <summary>Where a running clock stands now, as <see cref="SlaEvaluator.Open"/> counts it.</summary>
public enum ClockState
{
    /// <summary>Before the at-risk lead of its deadline.</summary>
    Running,

    /// <summary>Within the at-risk lead of its deadline (<c>helpdesk_sla_at_risk_tickets</c>).</summary>
    AtRisk,

    /// <summary>Past its deadline with no stop yet (<c>helpdesk_sla_breaching_tickets</c>).</summary>
    Breaching,
}

/// <summary>One running SLA clock: policy, conversation, start, deadline and state.</summary>
public sealed record RunningClock(string Policy, string Source, string ConversationId, DateTimeOffset Start, DateTimeOffset Deadline, string Channel, string? Team, ClockState State);

/// <summary>Running SLA clocks of one source, channel (or <c>all</c>) and policy.</summary>
public sealed record SlaOpenCount(string Source, string Channel, string Policy, long Breaching, long AtRisk);
