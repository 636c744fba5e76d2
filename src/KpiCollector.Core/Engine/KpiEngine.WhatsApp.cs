using KpiCollector.Core.Records;

namespace KpiCollector.Core.Engine;

/// <summary>
/// The WhatsApp platform metrics (docs/metrics.md, "WhatsApp platform metrics"): outbound messages by their highest delivery status and failures
/// by error code (from message events, counted when the message was sent), and the analytics the platform reports per
/// period: conversations by category and direction, cost by currency and category (each spread evenly over its period,
/// and kept only for windows at least as long as the platform's daily granularity).
/// </summary>
public sealed partial class KpiEngine
{
    /// <summary>Label values per source and label beyond which new ones fold into <c>other</c> (error codes, categories).</summary>
    public const int MaxWhatsAppLabelValues = 20;

    private static readonly TimeSpan AnalyticsGranularity = TimeSpan.FromDays(1);
    private static readonly HashSet<string> DeliveryStatuses = ["sent", "delivered", "read", "failed"];

    private TieredFamily<(string Source, string Status)> _waMessages = null!;
    private TieredFamily<(string Source, string Code)> _waFailures = null!;
    private TieredFamily<(string Source, string Category, string Direction)>? _waConversations;
    private TieredFamily<(string Source, string Currency, string Category)>? _waCost;
    private KpiWindow[] _analyticsWindows = [];
    private readonly Dictionary<(string Source, string Label), HashSet<string>> _waLabelValues = [];

    public void Apply(IEnumerable<RecordChange<MessagingUsage>> changes) => ApplyAll(changes, ApplyUsage);

    private void CreateWhatsAppFamilies(long nowMs)
    {
        _waMessages = new TieredFamily<(string, string)>(MeasureLayout.SingleCounter, _kpiWindows, _grid, nowMs);
        _waFailures = new TieredFamily<(string, string)>(MeasureLayout.SingleCounter, _kpiWindows, _grid, nowMs);
        _analyticsWindows = _kpiWindows.Where(w => w.Length >= AnalyticsGranularity).ToArray();
        if (_analyticsWindows.Length > 0)
        {
            _waConversations = new TieredFamily<(string, string, string)>(MeasureLayout.SingleCounter, _analyticsWindows, _grid, nowMs);
            _waCost = new TieredFamily<(string, string, string)>(MeasureLayout.SingleCounter, _analyticsWindows, _grid, nowMs);
        }
    }

    private void ForgetWhatsApp(string source)
    {
        _waMessages.RemoveWhere(k => k.Source == source);
        _waFailures.RemoveWhere(k => k.Source == source);
        _waConversations?.RemoveWhere(k => k.Source == source);
        _waCost?.RemoveWhere(k => k.Source == source);
        foreach (var key in _waLabelValues.Keys.Where(k => k.Source == source).ToList())
        {
            _waLabelValues.Remove(key);
        }
    }

    private void AdvanceWhatsApp(long nowMs)
    {
        _waMessages.AdvanceTo(nowMs);
        _waFailures.AdvanceTo(nowMs);
        _waConversations?.AdvanceTo(nowMs);
        _waCost?.AdvanceTo(nowMs);
    }

    /// <summary>An outbound message with a delivery status counts under that status (the source keeps the highest).</summary>
    private void CountDelivery(MessageEvent m, int sign)
    {
        if (m.Direction != MessageDirection.Outbound || m.DeliveryStatus?.ToLowerInvariant() is not { } status || !DeliveryStatuses.Contains(status))
        {
            return;
        }

        var e = KpiEvent.Count(m.At, 0);
        _waMessages.Apply((m.Source, status), e, sign);
        if (status == "failed")
        {
            _waFailures.Apply((m.Source, Bounded(m.Source, "error_code", m.ErrorCode ?? "unknown")), e, sign);
        }
    }

    private void ApplyUsage(MessagingUsage u, int sign)
    {
        _events.Clear();
        _rejected.Clear();
        if (u.To < u.From)
        {
            _rejected.Add(RejectionReasons.InvalidInterval);
            return;
        }

        var category = Bounded(u.Source, "category", u.Category.Trim().ToLowerInvariant());
        if (u.Conversations is { } conversations && _waConversations is { } family)
        {
            var key = (u.Source, category, u.Direction?.Trim().ToLowerInvariant() ?? "unknown");
            Spread(conversations, u.From, u.To, (at, part) => family.Apply(key, new KpiEvent(at, false, 0, part), sign));
        }

        if (u.Cost is { } cost && u.Currency is { } currency && _waCost is { } costs)
        {
            var key = (u.Source, currency.Trim().ToUpperInvariant(), category);
            Spread((long)Math.Round(cost * 1_000_000m), u.From, u.To, (at, part) => costs.Apply(key, new KpiEvent(at, false, 0, part), sign));
        }
    }

    /// <summary>
    /// A label value as seen before, or a new one while the source has fewer than <see cref="MaxWhatsAppLabelValues"/>,
    /// else <c>other</c>: error codes and categories come from the platform, and the series they make must stay bounded.
    /// </summary>
    private string Bounded(string source, string label, string value)
    {
        if (!_waLabelValues.TryGetValue((source, label), out var seen))
        {
            _waLabelValues[(source, label)] = seen = [];
        }

        if (seen.Contains(value))
        {
            return value;
        }

        if (seen.Count < MaxWhatsAppLabelValues)
        {
            seen.Add(value);
            return value;
        }

        return "other";
    }

    /// <summary>Spreads a total evenly over [from, to) on the fine grid, the rounding remainder on the last part.</summary>
    private void Spread(long total, DateTimeOffset fromAt, DateTimeOffset toAt, Action<long, long> apply)
    {
        var from = fromAt.ToUnixTimeMilliseconds();
        var to = Math.Max(toAt.ToUnixTimeMilliseconds(), from + 1);
        var parts = Contributions.Split(from, to, _grid.FineMs).ToList();
        long assigned = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            var amount = i == parts.Count - 1 ? total - assigned : total * parts[i].Ms / (to - from);
            assigned += amount;
            apply(parts[i].At, amount);
        }
    }

    private WhatsAppSnapshot WhatsAppOf()
    {
        var messages = new List<WhatsAppCount>();
        var failures = new List<WhatsAppCount>();
        for (var i = 0; i < _kpiWindows.Length; i++)
        {
            foreach (var key in _waMessages.Keys)
            {
                messages.Add(new WhatsAppCount(key.Source, key.Status, _kpiWindows[i], _waMessages.Totals(key, i)!.Counters[0]));
            }

            foreach (var key in _waFailures.Keys)
            {
                failures.Add(new WhatsAppCount(key.Source, key.Code, _kpiWindows[i], _waFailures.Totals(key, i)!.Counters[0]));
            }
        }

        var conversations = new List<WhatsAppConversations>();
        var cost = new List<CostSnapshot>();
        for (var i = 0; i < _analyticsWindows.Length; i++)
        {
            foreach (var key in _waConversations?.Keys ?? [])
            {
                conversations.Add(new WhatsAppConversations(key.Source, key.Category, key.Direction, _analyticsWindows[i], _waConversations!.Totals(key, i)!.Counters[0]));
            }

            foreach (var key in _waCost?.Keys ?? [])
            {
                cost.Add(new CostSnapshot(key.Source, key.Currency, key.Category, _analyticsWindows[i], _waCost!.Totals(key, i)!.Counters[0] / 1_000_000m));
            }
        }

        return new WhatsAppSnapshot(messages, failures, conversations, cost);
    }
}
