using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Core.Staffing;

namespace KpiCollector.Core.Engine;

/// <summary>
/// Time-bucketed KPI aggregates per series (source × channel, plus <c>channel="all"</c>, optionally × team). Applying
/// a change retracts the old version's events and adds the new version's; a snapshot reads the windows' running
/// totals, so its cost depends on the number of series and windows, never on the number of records. Pure: no I/O,
/// and the clock comes from a <see cref="TimeProvider"/>. Thread-safe (one lock: applies and snapshots are short).
/// </summary>
public sealed partial class KpiEngine
{
    private static readonly KpiWindow Hour = KpiWindow.Parse("1h");
    private static readonly KpiWindow Day = KpiWindow.Parse("24h");
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);
    private const int BaselineWeeks = 4;
    private const int MaxTicketTypesPerSource = 50;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeGrid _grid;
    private readonly Contributions _contributions;
    private readonly KpiWindow[] _kpiWindows;
    private readonly int _hourIndex;
    private readonly int _dayIndex;
    private readonly TieredFamily<SeriesKey> _kpis;
    private readonly TieredFamily<(SeriesKey Key, string Type)> _types;
    private readonly TieredFamily<(string Source, string Currency, string Category)> _costs;
    private readonly TieredFamily<(SeriesKey Key, string Policy)> _sla;
    private readonly Dictionary<SeriesKey, SeriesState> _state = [];
    private readonly Dictionary<string, int> _requesterIds = [];
    private readonly Dictionary<string, HashSet<string>> _ticketTypesBySource = [];
    private readonly Dictionary<(string Source, string Agent), int> _agentsOnline = [];
    private readonly HashSet<string> _sourcesWithAgents = [];
    private readonly Dictionary<string, List<CustomerCount>> _customers = [];
    private readonly HashSet<(string Source, SurveyKind Kind)> _offersReported = [];
    private readonly Dictionary<(string Source, string Reason), long> _rejections = [];
    private readonly List<KpiEvent> _events = [];
    private readonly List<string> _rejected = [];
    private readonly List<string> _rejectedBefore = [];

    /// <summary>Set while a page waits for its commit: what applying it did besides its counts, for a retraction to undo.</summary>
    private PageJournal? _journal;

    public KpiEngine(EngineOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Windows.Count == 0)
        {
            throw new ArgumentException("At least one window is required.", nameof(options));
        }

        Options = options;
        _time = time;
        _grid = new TimeGrid((long)options.BucketWidth.TotalMilliseconds, (long)options.CoarseBucketWidth.TotalMilliseconds, options.FineHorizon);
        if (_grid.FineMs < 1000 || _grid.CoarseMs % _grid.FineMs != 0)
        {
            throw new ArgumentException("The bucket width must be at least one second and divide the coarse bucket width.", nameof(options));
        }

        foreach (var w in options.Windows.Concat(options.SlaWindows))
        {
            if ((long)w.Length.TotalMilliseconds % _grid.WidthOf(w) != 0)
            {
                throw new ArgumentException($"Window {w.Name} is not a whole multiple of its bucket width ({TimeSpan.FromMilliseconds(_grid.WidthOf(w))}).", nameof(options));
            }
        }

        _contributions = new Contributions(options);
        _kpiWindows = [.. options.Windows];

        // The staffing estimate needs the last hour and day even when they are not exported; the baseline needs four weeks.
        var internalWindows = _kpiWindows.ToList();
        _hourIndex = IndexOrAdd(internalWindows, Hour);
        _dayIndex = IndexOrAdd(internalWindows, Day);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        _kpis = new TieredFamily<SeriesKey>(MeasureLayout.Kpis, internalWindows, _grid, now, (BaselineWeeks * Week) + Hour.Length);
        _types = new TieredFamily<(SeriesKey, string)>(MeasureLayout.SingleCounter, _kpiWindows, _grid, now);
        _costs = new TieredFamily<(string, string, string)>(MeasureLayout.SingleCounter, _kpiWindows, _grid, now);
        _sla = new TieredFamily<(SeriesKey, string)>(new MeasureLayout(2, 0), [.. options.SlaWindows], _grid, now);
        CreateWhatsAppFamilies(now);
    }

    public EngineOptions Options { get; }

    public void Apply(IEnumerable<RecordChange<Conversation>> changes) => ApplyAll(changes, ApplyConversation);

    public void Apply(IEnumerable<RecordChange<SurveyResponse>> changes) => ApplyAll(changes, ApplySurvey);

    public void Apply(IEnumerable<RecordChange<MessageEvent>> changes) => ApplyAll(changes, ApplyMessage);

    public void Apply(IEnumerable<RecordChange<AgentActivity>> changes) => ApplyAll(changes, ApplyAgent);

    public void Apply(IEnumerable<RecordChange<CostEntry>> changes) => ApplyAll(changes, ApplyCost);

    /// <summary>Adds decided SLA outcomes (never retracted: an outcome, once decided, stays).</summary>
    public void Apply(IEnumerable<SlaOutcome> outcomes)
    {
        lock (_gate)
        {
            Advance();
            foreach (var o in outcomes)
            {
                var e = new KpiEvent(o.DecidedAt.ToUnixTimeMilliseconds(), false, o.Met ? 0 : 1, 1);
                foreach (var key in KeysOf(o.Source, o.Channel, o.Team))
                {
                    _sla.Apply((key, o.Policy), e, +1);
                }
            }
        }
    }

    /// <summary>
    /// Drops everything the engine holds for <paramref name="source"/>: its series, ticket types, costs, SLA windows,
    /// agents, customers, WhatsApp metrics and rejection counts, so the engine is as if the source's records had never
    /// been applied. A replica calls it when it hands a source over, and before it loads a source it takes over
    /// (docs/scaling.md).
    /// </summary>
    public void Forget(string source)
    {
        lock (_gate)
        {
            _kpis.RemoveWhere(k => k.Source == source);
            _types.RemoveWhere(k => k.Key.Source == source);
            _costs.RemoveWhere(k => k.Source == source);
            _sla.RemoveWhere(k => k.Key.Source == source);
            RemoveKeys(_state, k => k.Source == source);
            RemoveKeys(_agentsOnline, k => k.Source == source);
            RemoveKeys(_rejections, k => k.Source == source);
            _offersReported.RemoveWhere(k => k.Source == source);
            _ticketTypesBySource.Remove(source);
            _sourcesWithAgents.Remove(source);
            _customers.Remove(source);
            ForgetWhatsApp(source);
        }
    }

    private static void RemoveKeys<TKey, TValue>(Dictionary<TKey, TValue> map, Func<TKey, bool> match)
        where TKey : notnull
    {
        foreach (var key in map.Keys.Where(match).ToList())
        {
            map.Remove(key);
        }
    }

    /// <summary>Replaces a source's customers feed (S, E, N, L per period).</summary>
    public void SetCustomers(string source, IEnumerable<CustomerCount> periods)
    {
        lock (_gate)
        {
            _customers[source] = periods.OrderBy(p => p.PeriodStart).ToList();
        }
    }

    /// <summary>
    /// Applies conversation changes its store has not committed yet, and holds the engine's lock until
    /// <paramref name="committed"/> answers: true keeps them; false (or a throw) retracts them again before the lock is
    /// released. No snapshot ever sees a page its store did not commit. The pipeline runs this on a second thread
    /// while the store writes the page and commits it (docs/performance.md, "Apply rate").
    /// </summary>
    public void ApplyUntilCommitted(IReadOnlyList<RecordChange<Conversation>> changes, Func<bool> committed)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(committed);
        lock (_gate)
        {
            Advance();
            var counted = new List<(string Source, string Reason)>();
            var journal = _journal = new PageJournal();
            try
            {
                ApplyChanges(changes, ApplyConversation, counted);
            }
            finally
            {
                _journal = null;
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
                    Retract(changes, counted, journal);
                }
            }
        }
    }

    /// <summary>
    /// Undoes <see cref="ApplyChanges{T}"/> of conversation changes: newest first, then the rejections they counted and
    /// what the <paramref name="journal"/> holds (ticket types first seen, earliest creations moved back).
    /// </summary>
    private void Retract(IReadOnlyList<RecordChange<Conversation>> changes, List<(string Source, string Reason)> counted, PageJournal journal)
    {
        for (var i = changes.Count - 1; i >= 0; i--)
        {
            var (old, current) = changes[i];
            if (old == current)
            {
                continue;
            }

            ApplyConversation(current, -1);
            if (old is not null)
            {
                ApplyConversation(old, +1);
            }
        }

        foreach (var key in counted)
        {
            var left = _rejections[key] - 1;
            if (left == 0)
            {
                _rejections.Remove(key);
            }
            else
            {
                _rejections[key] = left;
            }
        }

        // After the old versions are back: they were applied before the page, so they move neither of these.
        for (var i = journal.Earliest.Count - 1; i >= 0; i--)
        {
            var (state, earliest) = journal.Earliest[i];
            state.EarliestCreatedMs = earliest;
        }

        foreach (var (source, type) in journal.TicketTypes)
        {
            _ticketTypesBySource[source].Remove(type);
        }
    }

    private void ApplyAll<T>(IEnumerable<RecordChange<T>> changes, Action<T, int> apply)
        where T : class
    {
        lock (_gate)
        {
            Advance();
            ApplyChanges(changes, apply, counted: null);
        }
    }

    /// <summary>Retracts each change's old version and adds its new one; the caller holds the lock.</summary>
    private void ApplyChanges<T>(IEnumerable<RecordChange<T>> changes, Action<T, int> apply, List<(string Source, string Reason)>? counted)
        where T : class
    {
        foreach (var (old, current) in changes)
        {
            if (old == current)
            {
                continue; // a re-polled page changes nothing
            }

            _rejectedBefore.Clear();
            if (old is not null)
            {
                apply(old, -1);
                _rejectedBefore.AddRange(_rejected);
            }

            apply(current, +1);
            CountNewRejections(SourceOf(current), counted);
        }
    }

    /// <summary>Counts a rejection when a record version newly contradicts itself (not again at every re-poll).</summary>
    private void CountNewRejections(string source, List<(string Source, string Reason)>? counted)
    {
        foreach (var reason in _rejected)
        {
            if (!_rejectedBefore.Remove(reason))
            {
                _rejections[(source, reason)] = _rejections.GetValueOrDefault((source, reason)) + 1;
                counted?.Add((source, reason));
            }
        }
    }

    private void ApplyConversation(Conversation c, int sign)
    {
        Collect(() => _contributions.Of(c, _events, _rejected));
        var channel = Channels.Normalize(c.Channel);
        var createdMs = c.CreatedAt.ToUnixTimeMilliseconds();
        var requesterId = c.RequesterId is { } requester ? RequesterId(requester) : -1;
        foreach (var key in KeysOf(c.Source, channel, c.Team))
        {
            var state = State(key);
            ApplyEvents(state, sign);
            if (requesterId >= 0)
            {
                state.Requesters.Apply(requesterId, createdMs, sign);
            }

            if (!c.Status.IsEnded())
            {
                state.Backlog[(int)c.Status] += sign;
                if (c.FirstResponseAt is null && c.FirstHumanResponseAt is null)
                {
                    state.Unanswered += sign;
                    if (sign > 0)
                    {
                        state.OldestUnanswered.Add((createdMs, c.ExternalId));
                    }
                    else
                    {
                        state.OldestUnanswered.Remove((createdMs, c.ExternalId));
                    }
                }
            }

            if (createdMs < state.EarliestCreatedMs)
            {
                _journal?.Earliest.Add((state, state.EarliestCreatedMs));
                state.EarliestCreatedMs = createdMs;
            }
            if (c.TicketType is { } type && key.Channel == Channels.All)
            {
                _types.Apply((key, TicketTypeLabel(c.Source, type)), KpiEvent.Count(c.CreatedAt, 0), sign);
            }
        }
    }

    private void ApplySurvey(SurveyResponse s, int sign)
    {
        Collect(() => _contributions.Of(s, _events, _rejected));
        if (s.Score is null && sign > 0)
        {
            _offersReported.Add((s.Source, s.Kind));
        }

        foreach (var key in KeysOf(s.Source, Channels.Normalize(s.Channel), s.Team))
        {
            ApplyEvents(State(key), sign);
        }
    }

    private void ApplyMessage(MessageEvent m, int sign)
    {
        Collect(() => Contributions.Of(m, _events, _rejected));
        foreach (var key in KeysOf(m.Source, Channels.Normalize(m.Channel), null))
        {
            ApplyEvents(State(key), sign);
        }

        CountDelivery(m, sign);
    }

    private void ApplyAgent(AgentActivity a, int sign)
    {
        Collect(() => Contributions.Of(a, _grid.FineMs, _events, _rejected));
        _sourcesWithAgents.Add(a.Source);
        foreach (var key in KeysOf(a.Source, Channels.All, a.Team))
        {
            ApplyEvents(State(key), sign);
        }

        if (a.To is null && a.State is AgentState.Available or AgentState.Busy)
        {
            var agent = (a.Source, a.AgentId);
            var open = _agentsOnline.GetValueOrDefault(agent) + sign;
            if (open <= 0)
            {
                _agentsOnline.Remove(agent);
            }
            else
            {
                _agentsOnline[agent] = open;
            }
        }
    }

    private void ApplyCost(CostEntry cost, int sign)
    {
        _events.Clear();
        _rejected.Clear();
        if (cost.To < cost.From)
        {
            _rejected.Add(RejectionReasons.InvalidInterval);
            return;
        }

        // Spread evenly over the interval, in micro-units.
        var key = (cost.Source, cost.Currency.ToUpperInvariant(), cost.Category);
        Spread((long)Math.Round(cost.Amount * 1_000_000m), cost.From, cost.To, (at, amount) => _costs.Apply(key, new KpiEvent(at, false, 0, amount), sign));
    }

    private void Collect(Action contribute)
    {
        _events.Clear();
        _rejected.Clear();
        contribute();
    }

    private void ApplyEvents(SeriesState state, int sign)
    {
        var handle = state.Kpis;
        foreach (var e in _events)
        {
            handle.Apply(e, sign);
        }
    }

    /// <summary>The series an event counts in: its channel and <c>all</c>; with the team breakdown, also by team and team <c>all</c>.</summary>
    private IEnumerable<SeriesKey> KeysOf(string source, string channel, string? team)
    {
        if (Options.Teams.Count == 0)
        {
            yield return new SeriesKey(source, channel);
            if (channel != Channels.All)
            {
                yield return new SeriesKey(source, Channels.All);
            }

            yield break;
        }

        var teamLabel = team is not null && Options.Teams.Contains(team) ? team : "other";
        foreach (var t in new[] { teamLabel, Channels.All })
        {
            yield return new SeriesKey(source, channel, t);
            if (channel != Channels.All)
            {
                yield return new SeriesKey(source, Channels.All, t);
            }
        }
    }

    private string TicketTypeLabel(string source, string type)
    {
        if (!_ticketTypesBySource.TryGetValue(source, out var seen))
        {
            _ticketTypesBySource[source] = seen = [];
        }

        if (seen.Contains(type))
        {
            return type;
        }

        if (seen.Count >= MaxTicketTypesPerSource)
        {
            return "other"; // bounded: a runaway set of types cannot blow up memory or series
        }

        seen.Add(type);
        _journal?.TicketTypes.Add((source, type));
        return type;
    }

    /// <summary>What a page waiting for its commit changed outside its counts: undone with it if it does not commit.</summary>
    private sealed class PageJournal
    {
        public List<(SeriesState State, long EarliestCreatedMs)> Earliest { get; } = [];

        public List<(string Source, string Type)> TicketTypes { get; } = [];
    }

    private SeriesState State(SeriesKey key)
    {
        if (!_state.TryGetValue(key, out var state))
        {
            _state[key] = state = new SeriesState(_kpis.Resolve(key), _kpiWindows, _grid, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }

        return state;
    }

    private int RequesterId(string requester)
    {
        if (!_requesterIds.TryGetValue(requester, out var id))
        {
            _requesterIds[requester] = id = _requesterIds.Count;
        }

        return id;
    }

    private DateTimeOffset Advance()
    {
        var now = _time.GetUtcNow();
        var ms = now.ToUnixTimeMilliseconds();
        _kpis.AdvanceTo(ms);
        _types.AdvanceTo(ms);
        _costs.AdvanceTo(ms);
        _sla.AdvanceTo(ms);
        AdvanceWhatsApp(ms);
        foreach (var state in _state.Values)
        {
            state.Requesters.AdvanceTo(ms);
        }

        return now;
    }

    private static string SourceOf<T>(T record) => record switch
    {
        Conversation c => c.Source,
        SurveyResponse s => s.Source,
        MessageEvent m => m.Source,
        AgentActivity a => a.Source,
        CostEntry e => e.Source,
        MessagingUsage u => u.Source,
        _ => "",
    };

    private static int IndexOrAdd(List<KpiWindow> windows, KpiWindow w)
    {
        var i = windows.FindIndex(x => x.Length == w.Length);
        if (i >= 0)
        {
            return i;
        }

        windows.Add(w);
        return windows.Count - 1;
    }

    /// <summary>Point-in-time state of one series, and its distinct requesters per window.</summary>
    private sealed class SeriesState(TieredFamily<SeriesKey>.Handle kpis, KpiWindow[] windows, TimeGrid grid, long nowMs)
    {
        /// <summary>The series' aggregators, resolved once.</summary>
        public TieredFamily<SeriesKey>.Handle Kpis { get; } = kpis;

        public long[] Backlog { get; } = new long[6];

        public long Unanswered { get; set; }

        public SortedSet<(long CreatedMs, string Id)> OldestUnanswered { get; } = [];

        public long EarliestCreatedMs { get; set; } = long.MaxValue;

        public TieredDistinct Requesters { get; } = new(windows, grid, nowMs);
    }
}
