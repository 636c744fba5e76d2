using KpiCollector.Core.Records;
using KpiCollector.Core.Staffing;

namespace KpiCollector.Core.Engine;

public sealed partial class KpiEngine
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    /// <summary>Every KPI now, computed from the windows' running totals.</summary>
    public KpiSnapshot Snapshot()
    {
        lock (_gate)
        {
            var now = Advance();
            var nowMs = now.ToUnixTimeMilliseconds();
            var series = _kpis.Keys.Select(key => SeriesOf(key, nowMs)).ToList();
            series.Sort((a, b) => Compare(a.Key, b.Key));
            return new KpiSnapshot(now, series, SlaOf(), CostsOf(), SourcesOf(), new Dictionary<(string, string), long>(_rejections)) { WhatsApp = WhatsAppOf() };
        }
    }

    private SeriesSnapshot SeriesOf(SeriesKey key, long nowMs)
    {
        var state = State(key);
        var windows = new WindowSnapshot[_kpiWindows.Length];
        var types = TypesOf(key);
        for (var i = 0; i < windows.Length; i++)
        {
            windows[i] = WindowOf(_kpis.Totals(key, i)!) with
            {
                DistinctRequesters = state.Requesters.DistinctIn(i),
                TicketTypes = types[i],
            };
        }

        return new SeriesSnapshot(key, windows, (long[])state.Backlog.Clone(), state.Unanswered)
        {
            OldestUnansweredCreatedAt = state.OldestUnanswered.Count > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(state.OldestUnanswered.Min.CreatedMs) : null,
            CreatedBaseline1h = Baseline(key, state, nowMs),
        };
    }

    private static WindowSnapshot WindowOf(WindowTotals w)
    {
        var dists = new DistSummary[w.DistCount.Length];
        for (var d = 0; d < dists.Length; d++)
        {
            var count = w.DistCount[d];
            var bins = w.Bins(d);
            dists[d] = count <= 0 || bins is null
                ? default
                : new DistSummary(
                    count,
                    w.DistSumMs[d] / 1000.0 / count,
                    QuantileSketch.Quantile(bins, count, 0.50),
                    QuantileSketch.Quantile(bins, count, 0.90),
                    QuantileSketch.Quantile(bins, count, 0.95));
        }

        return new WindowSnapshot(w.Window, (long[])w.Counters.Clone(), dists);
    }

    /// <summary>Per window: the top N ticket types of the series (ranked in the longest window) and the rest as <c>other</c>.</summary>
    private IReadOnlyDictionary<string, long>[] TypesOf(SeriesKey key)
    {
        var result = _kpiWindows.Select(_ => (IReadOnlyDictionary<string, long>)new Dictionary<string, long>()).ToArray();
        if (key.Channel != Channels.All || !_ticketTypesBySource.TryGetValue(key.Source, out var types))
        {
            return result;
        }

        var longest = Array.IndexOf(_kpiWindows, _kpiWindows.MaxBy(w => w.Length));
        var counts = types.Append("other")
            .Select(t => (Type: t, Counts: _kpiWindows.Select((_, i) => _types.Totals((key, t), i)?.Counters[0] ?? 0).ToArray()))
            .Where(t => t.Counts[longest] > 0)
            .OrderByDescending(t => t.Counts[longest]).ThenBy(t => t.Type, StringComparer.Ordinal)
            .ToList();
        var top = counts.Where(t => t.Type != "other").Take(Options.TicketTypesTopN).Select(t => t.Type).ToHashSet();
        for (var i = 0; i < _kpiWindows.Length; i++)
        {
            var byType = new Dictionary<string, long>();
            foreach (var (type, c) in counts)
            {
                var label = top.Contains(type) ? type : "other";
                byType[label] = byType.GetValueOrDefault(label) + c[i];
            }

            result[i] = byType;
        }

        return result;
    }

    /// <summary>Mean of the same weekday and hour over the previous weeks with data (up to four).</summary>
    private double? Baseline(SeriesKey key, SeriesState state, long nowMs)
    {
        long sum = 0;
        var weeks = 0;
        for (var k = 1; k <= BaselineWeeks; k++)
        {
            var to = nowMs - (long)(k * Week).TotalMilliseconds;
            var from = to - (long)Hour.Length.TotalMilliseconds;
            if (to < state.EarliestCreatedMs)
            {
                break; // no history that far back: a missing week is not a quiet week
            }

            sum += _kpis.SumCounter(key, (int)Counter.TicketsCreated, from + 1, to + 1);
            weeks++;
        }

        return weeks == 0 ? null : (double)sum / weeks;
    }

    private List<SlaWindowSnapshot> SlaOf()
    {
        var list = new List<SlaWindowSnapshot>();
        foreach (var (key, policy) in _sla.Keys)
        {
            for (var i = 0; i < _sla.Windows.Count; i++)
            {
                var totals = _sla.Totals((key, policy), i)!;
                list.Add(new SlaWindowSnapshot(key, policy, _sla.Windows[i], totals.Counters[0], totals.Counters[1]));
            }
        }

        return list;
    }

    private List<CostSnapshot> CostsOf()
    {
        var list = new List<CostSnapshot>();
        foreach (var key in _costs.Keys)
        {
            for (var i = 0; i < _kpiWindows.Length; i++)
            {
                list.Add(new CostSnapshot(key.Source, key.Currency, key.Category, _kpiWindows[i], _costs.Totals(key, i)!.Counters[0] / 1_000_000m));
            }
        }

        var costs = Options.Costs;
        foreach (var source in _kpis.Keys.Select(k => k.Source).Distinct())
        {
            for (var i = 0; i < _kpiWindows.Length; i++)
            {
                var w = _kpiWindows[i];
                if (costs.StaffPerAgentHour is { } rate && _sourcesWithAgents.Contains(source)
                    && _kpis.Totals(new SeriesKey(source, Channels.All, Options.Teams.Count == 0 ? null : Channels.All), i) is { } totals)
                {
                    var hours = totals.Counters[(int)Counter.AgentStaffedMs] / 3_600_000m;
                    list.Add(new CostSnapshot(source, costs.Currency, CostCategories.Staff, w, Math.Round(hours * rate, 6)));
                }

                if (costs.FixedMonthly.Count > 0)
                {
                    var share = (decimal)(w.Length / Month);
                    list.Add(new CostSnapshot(source, costs.Currency, CostCategories.Other, w, Math.Round(costs.FixedMonthly.Sum(f => f.MonthlyAmount) * share, 6)));
                }
            }
        }

        return list;
    }

    private List<SourceSnapshot> SourcesOf()
    {
        var list = new List<SourceSnapshot>();
        var now = _time.GetUtcNow();
        var sources = _kpis.Keys.Select(k => k.Source).Concat(_customers.Keys).Concat(_sourcesWithAgents).Distinct().Order(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var all = new SeriesKey(source, Channels.All, Options.Teams.Count == 0 ? null : Channels.All);
            list.Add(new SourceSnapshot(source)
            {
                ReportsAgents = _sourcesWithAgents.Contains(source),
                AgentsOnline = _agentsOnline.Keys.Count(a => a.Source == source),
                RequiredAgents = RequiredAgents(all),
                Customers = CustomersOf(source, now),
                OffersReported = _offersReported.Where(o => o.Source == source).Select(o => o.Kind).ToHashSet(),
            });
        }

        return list;
    }

    /// <summary>Erlang C for the first-response target, from the last hour's arrivals and the last day's handle time.</summary>
    private int? RequiredAgents(SeriesKey all)
    {
        if (_kpis.Totals(all, _hourIndex) is not { } hour || _kpis.Totals(all, _dayIndex) is not { } day)
        {
            return null;
        }

        var handled = day.DistCount[(int)Dist.Handle];
        if (handled == 0)
        {
            return null;
        }

        var aht = TimeSpan.FromMilliseconds((double)day.DistSumMs[(int)Dist.Handle] / handled);
        var arrivals = hour.Counters[(int)Counter.TicketsCreated] / Hour.Length.TotalSeconds;
        var (target, objective) = Options.StaffingTarget;
        return ErlangC.RequiredAgents(arrivals, aht, target, objective, Options.StaffingConcurrency);
    }

    private List<CustomerWindow> CustomersOf(string source, DateTimeOffset now)
    {
        var result = new List<CustomerWindow>();
        if (!_customers.TryGetValue(source, out var periods) || periods.Count == 0)
        {
            return result;
        }

        foreach (var w in _kpiWindows)
        {
            var inside = periods.Where(p => p.PeriodStart >= now - w.Length && p.PeriodEnd <= now).ToList();
            if (inside.Count == 0)
            {
                continue;
            }

            var s = inside[0].Start;
            var e = inside[^1].End;
            if (Kpis.Retention(s, e, inside.Sum(p => p.New)) is { } crr && Kpis.Churn(s, inside.Sum(p => p.Lost)) is { } churn)
            {
                result.Add(new CustomerWindow(w, crr, churn));
            }
        }

        return result;
    }

    private static int Compare(SeriesKey a, SeriesKey b)
    {
        var c = string.CompareOrdinal(a.Source, b.Source);
        if (c != 0) { return c; }
        c = string.CompareOrdinal(a.Channel, b.Channel);
        return c != 0 ? c : string.CompareOrdinal(a.Team, b.Team);
    }
}
