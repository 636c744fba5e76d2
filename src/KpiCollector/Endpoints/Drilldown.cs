using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Sources;
using KpiCollector.Storage;

namespace KpiCollector.Endpoints;

/// <summary>Which conversations the drill-down lists (docs/drilldown.md).</summary>
public enum DrilldownState
{
    /// <summary>Every conversation in one of the states below.</summary>
    Any,

    /// <summary>A running SLA clock past its deadline: behind <c>helpdesk_sla_breaching_tickets</c>.</summary>
    Breaching,

    /// <summary>A running SLA clock within its at-risk lead: behind <c>helpdesk_sla_at_risk_tickets</c>.</summary>
    AtRisk,

    /// <summary>Open with no business reply: behind <c>helpdesk_unanswered_tickets</c>.</summary>
    Unanswered,

    /// <summary>The oldest unanswered conversation of each source: behind <c>helpdesk_oldest_unanswered_created_timestamp_seconds</c>.</summary>
    Oldest,
}

/// <summary>A drill-down request: the filters and the row limit.</summary>
public sealed record DrilldownQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    public static readonly string[] Parameters = ["source", "channel", "team", "sla", "state", "limit", "id"];

    public string? Source { get; init; }
    public string? Channel { get; init; }
    public string? Team { get; init; }
    public string? Sla { get; init; }
    public DrilldownState State { get; init; }
    public int Limit { get; init; } = DefaultLimit;

    /// <summary>One conversation by its platform id, whatever its state (the target of a histogram exemplar).</summary>
    public string? Id { get; init; }

    public static string StateName(DrilldownState state) => state switch
    {
        DrilldownState.Breaching => "breaching",
        DrilldownState.AtRisk => "at_risk",
        DrilldownState.Unanswered => "unanswered",
        DrilldownState.Oldest => "oldest",
        _ => "any",
    };

    /// <summary>Reads and checks the query string; throws <see cref="QueryParameterException"/> naming the bad parameter.</summary>
    public static DrilldownQuery Parse(IQueryCollection query, SourceRegistry sources, IReadOnlyList<SlaPolicy> policies)
    {
        QueryParameters.RejectUnknown(query, Parameters);
        var sla = QueryParameters.Single(query, "sla");
        if (sla is not null && !policies.Any(p => p.Name == sla))
        {
            throw new QueryParameterException("sla", $"no SLA policy named '{sla}' (configured: {string.Join(", ", policies.Select(p => p.Name))})");
        }

        var state = QueryParameters.Single(query, "state") switch
        {
            null or "any" => DrilldownState.Any,
            "breaching" => DrilldownState.Breaching,
            "at_risk" => DrilldownState.AtRisk,
            "unanswered" => DrilldownState.Unanswered,
            "oldest" => DrilldownState.Oldest,
            var other => throw new QueryParameterException("state", $"'{other}' is not a state (one of: breaching, at_risk, unanswered, oldest, any)"),
        };
        return new DrilldownQuery
        {
            Source = QueryParameters.Source(query, sources),
            Channel = QueryParameters.Channel(query),
            Team = QueryParameters.Team(query),
            Sla = sla,
            State = state,
            Limit = QueryParameters.Int(query, "limit", DefaultLimit, 1, MaxLimit),
            Id = QueryParameters.Single(query, "id"),
        };
    }
}

/// <summary>One conversation of the drill-down: ids, times, states and the link; never a name or a message text.</summary>
public sealed record DrilldownRow
{
    public required string Source { get; init; }
    public required string Platform { get; init; }

    /// <summary>The id the connector stored: the platform's ticket or conversation id.</summary>
    public required string Id { get; init; }

    public required string Channel { get; init; }
    public string? Team { get; init; }
    public string? Priority { get; init; }

    /// <summary>The normalized status; null when the store has no row for the id (a message thread's clock).</summary>
    public string? Status { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? FirstResponseAt { get; init; }

    /// <summary>When the customer's wait for a first reply began, for an open conversation with no reply.</summary>
    public DateTimeOffset? WaitingSince { get; init; }

    /// <summary>breaching, at_risk, unanswered, oldest: why the row is listed.</summary>
    public required IReadOnlyList<string> States { get; init; }

    public required IReadOnlyList<DrilldownSla> Sla { get; init; }

    /// <summary>The conversation in the platform's agent interface; null when the platform has none.</summary>
    public string? Link { get; init; }

    internal DateTimeOffset SortKey { get; init; }
}

/// <summary>One SLA clock of a listed conversation: running (running, at_risk, breaching) or decided (met, breached).</summary>
public sealed record DrilldownSla(string Policy, string State, DateTimeOffset Start, DateTimeOffset? Deadline, DateTimeOffset? DecidedAt);

/// <summary>The drill-down's answer: when it was computed, what was asked, and the rows, oldest first.</summary>
public sealed record DrilldownResult(DateTimeOffset GeneratedAt, DrilldownQuery Query, IReadOnlyList<DrilldownRow> Conversations, bool Truncated);

/// <summary>
/// The conversations behind the "now" gauges (docs/drilldown.md). The SLA states come from the evaluator's running
/// clocks (a copy taken under its lock: the same clocks the breaching and at-risk gauges count); the conversations'
/// details and the unanswered lists from the store on a read-only connection (committed batches only). Neither read
/// waits for a poll beyond the evaluator's short lock, and neither writes anything.
/// </summary>
public sealed class Drilldown(IStore store, SlaEvaluator sla, SourceRegistry sources, TicketLinks links, TimeProvider time)
{
    public IReadOnlyList<SlaPolicy> Policies => sla.Policies;

    public DrilldownResult Run(DrilldownQuery q)
    {
        var now = time.GetUtcNow();
        var filter = new ConversationFilter(q.Source, q.Channel, q.Team);
        var clocks = sla.Running(now)
            .Where(c => (q.Source is null || c.Source == q.Source) && (q.Channel is null || c.Channel == q.Channel) && (q.Team is null || c.Team == q.Team))
            .ToLookup(c => (c.Source, c.ConversationId));

        // Candidates: conversation keys with the reasons they are listed.
        var reasons = new Dictionary<(string Source, string Id), SortedSet<string>>();
        var stored = new Dictionary<(string Source, string Id), StoredConversation>();
        void Add((string, string) key, string reason)
        {
            if (!reasons.TryGetValue(key, out var set))
            {
                reasons[key] = set = new SortedSet<string>(StringComparer.Ordinal);
            }

            set.Add(reason);
        }

        var truncated = false;
        if (q.Id is { } id)
        {
            foreach (var row in store.ReadConversations(sources.Statuses.Select(s => s.Name).Where(s => q.Source is null || s == q.Source).Select(s => (s, id))).Values)
            {
                stored[(row.Conversation.Source, row.Conversation.ExternalId)] = row;
                reasons[(row.Conversation.Source, row.Conversation.ExternalId)] = [];
            }

            foreach (var clock in clocks.SelectMany(g => g).Where(c => c.ConversationId == id))
            {
                reasons.TryAdd((clock.Source, clock.ConversationId), []);
            }
        }
        else
        {
            foreach (var clock in clocks.SelectMany(g => g).Where(c => q.Sla is null || c.Policy == q.Sla))
            {
                if (clock.State == ClockState.Breaching && q.State is DrilldownState.Any or DrilldownState.Breaching)
                {
                    Add((clock.Source, clock.ConversationId), "breaching");
                }
                else if (clock.State == ClockState.AtRisk && q.State is DrilldownState.Any or DrilldownState.AtRisk)
                {
                    Add((clock.Source, clock.ConversationId), "at_risk");
                }
            }

            if (q.State is DrilldownState.Any or DrilldownState.Unanswered)
            {
                var unanswered = store.ReadUnanswered(filter, q.Limit + 1);
                truncated |= unanswered.Count > q.Limit;
                foreach (var row in unanswered.Take(q.Limit))
                {
                    var key = (row.Conversation.Source, row.Conversation.ExternalId);
                    stored[key] = row;
                    Add(key, "unanswered");
                }
            }

            // The oldest of each source is flagged in every listing; state=oldest lists only those.
            foreach (var row in store.ReadUnanswered(filter, sources.Statuses.Count() + 1, oldestPerSource: true))
            {
                var key = (row.Conversation.Source, row.Conversation.ExternalId);
                if (q.State == DrilldownState.Oldest || reasons.ContainsKey(key))
                {
                    stored[key] = row;
                    Add(key, "oldest");
                }
            }
        }

        var missing = reasons.Keys.Where(k => !stored.ContainsKey(k)).ToList();
        foreach (var (key, row) in store.ReadConversations(missing))
        {
            stored[key] = row;
        }

        var rows = reasons.Select(kv => Row(kv.Key, kv.Value, stored.GetValueOrDefault(kv.Key), clocks[kv.Key].ToList()))
            .Where(r => q.Channel is null || r.Channel == q.Channel)
            .Where(r => q.Team is null || r.Team == q.Team)
            .OrderBy(r => r.SortKey).ThenBy(r => r.Source, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
        truncated |= rows.Count > q.Limit;
        return new DrilldownResult(now, q, rows.Take(q.Limit).ToList(), truncated);
    }

    private DrilldownRow Row((string Source, string Id) key, IEnumerable<string> states, StoredConversation? stored, List<RunningClock> clocks)
    {
        var c = stored?.Conversation;
        var running = clocks.Select(k => new DrilldownSla(k.Policy, ClockStateName(k.State), k.Start, k.Deadline, null));
        var decided = (stored?.Outcomes ?? [])
            .Where(o => !clocks.Any(k => k.Policy == o.Policy && k.Start == o.Start)) // a breached clock still running shows as breaching
            .Select(o => new DrilldownSla(o.Policy, o.Met ? "met" : "breached", o.Start, null, o.DecidedAt));
        var unanswered = c is not null && !c.Status.IsEnded() && c.FirstResponseAt is null && c.FirstHumanResponseAt is null;
        return new DrilldownRow
        {
            Source = key.Source,
            Platform = sources.TryStatusOf(key.Source)?.Platform ?? "unknown",
            Id = key.Id,
            Channel = c is not null ? Channels.Normalize(c.Channel) : clocks.FirstOrDefault()?.Channel ?? Channels.Other,
            Team = c is not null ? c.Team : clocks.FirstOrDefault()?.Team,
            Priority = c?.Priority,
            Status = c?.Status.ToLabel(),
            CreatedAt = c?.CreatedAt,
            FirstResponseAt = c?.FirstResponseAt ?? c?.FirstHumanResponseAt,
            WaitingSince = unanswered ? c!.CreatedAt : null,
            States = [.. states],
            Sla = running.Concat(decided).OrderBy(s => s.Start).ThenBy(s => s.Policy, StringComparer.Ordinal).ToList(),
            Link = links.For(key.Source, key.Id),
            SortKey = c?.CreatedAt ?? (clocks.Count > 0 ? clocks.Min(k => k.Start) : DateTimeOffset.MaxValue),
        };
    }

    private static string ClockStateName(ClockState state) => state switch
    {
        ClockState.Breaching => "breaching",
        ClockState.AtRisk => "at_risk",
        _ => "running",
    };
}
