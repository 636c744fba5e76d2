using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// The WhatsApp Business Account's view of the simulated traffic: a <see cref="TrafficSimulation"/> kept up to a
/// horizon behind the clock, the WhatsApp channel's figures per half hour (what the analytics fields add up), and a
/// log of its messages (what the webhook poster posts). Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// The simulation only knows the conversations customers start, so the business-initiated template traffic a real
/// WABA also has is derived from them, deterministically: a WhatsApp conversation brings, at its creation, a utility
/// template with probability <see cref="UtilityShare"/>, a marketing template with <see cref="MarketingShare"/> and an
/// authentication template with <see cref="AuthenticationShare"/> (to other recipients; they are not posted as
/// webhooks). Every template is delivered and opens a business-initiated conversation of its category.
/// </para>
/// <para>
/// Service messages are the simulation's outbound WhatsApp messages (bot and agent replies) that did not fail; they
/// are free. The message log keeps <see cref="MessageRetention"/> of history (Meta stops retrying a webhook after
/// about as long).
/// </para>
/// </remarks>
public sealed class SimulatedWhatsApp
{
    public const double UtilityShare = 0.45;
    public const double MarketingShare = 0.20;
    public const double AuthenticationShare = 0.05;

    /// <summary>The finest analytics period: 30 minutes, aligned to the UTC clock.</summary>
    public static readonly TimeSpan BucketLength = TimeSpan.FromMinutes(30);

    public static readonly TimeSpan MessageRetention = TimeSpan.FromDays(7);

    private static readonly TimeSpan CatchUpStep = TimeSpan.FromHours(1);
    private readonly Lock _gate = new();
    private readonly TrafficSimulation _simulation;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lag;
    private readonly SortedDictionary<long, Counts> _buckets = [];
    private readonly Dictionary<string, string> _customers = new(StringComparer.Ordinal);
    private readonly List<LoggedMessage> _messages = [];
    private long _nextSequence = 1;

    public SimulatedWhatsApp(SimulatorOptions model, DateTimeOffset epoch, TimeProvider time, TimeSpan lag)
    {
        ArgumentNullException.ThrowIfNull(model);
        _simulation = new TrafficSimulation(model, "simulator", epoch);
        Seed = model.Seed;
        _time = time;
        _lag = lag;
    }

    /// <summary>The simulation's seed: what every derived id and draw is keyed by.</summary>
    public int Seed { get; }

    public DateTimeOffset Epoch => _simulation.Epoch;

    /// <summary>How far the simulation has run: the figures are complete up to here.</summary>
    public DateTimeOffset Horizon
    {
        get { lock (_gate) { return _simulation.Now; } }
    }

    /// <summary>The sequence number the next logged message will get.</summary>
    public long NextSequence
    {
        get { lock (_gate) { return _nextSequence; } }
    }

    /// <summary>What happened on the WhatsApp channel in one half hour.</summary>
    /// <param name="UserConversations">WhatsApp conversations customers started.</param>
    /// <param name="ServiceMessages">Outbound free-form replies (bot and agent) that did not fail.</param>
    /// <param name="Sent">Outbound free-form replies, failed ones included.</param>
    /// <param name="Delivered">Outbound free-form replies delivered (and perhaps read).</param>
    /// <param name="Utility">Utility templates sent (and delivered).</param>
    /// <param name="Marketing">Marketing templates sent (and delivered).</param>
    /// <param name="Authentication">Authentication templates sent (and delivered).</param>
    public readonly record struct Counts(int UserConversations, int ServiceMessages, int Sent, int Delivered, int Utility, int Marketing, int Authentication)
    {
        public static Counts operator +(Counts a, Counts b) => new(
            a.UserConversations + b.UserConversations, a.ServiceMessages + b.ServiceMessages, a.Sent + b.Sent, a.Delivered + b.Delivered,
            a.Utility + b.Utility, a.Marketing + b.Marketing, a.Authentication + b.Authentication);
    }

    /// <summary>One WhatsApp message of the simulation, with its customer (the contact whose wa_id it is from or to).</summary>
    public readonly record struct LoggedMessage(long Sequence, MessageEvent Message, string CustomerId);

    /// <summary>Runs the simulation up to the clock minus the lag, in hourly steps.</summary>
    public void CatchUp()
    {
        lock (_gate)
        {
            var target = _time.GetUtcNow() - _lag;
            while (_simulation.Now < target)
            {
                var previous = _simulation.Now;
                var until = previous + CatchUpStep < target ? previous + CatchUpStep : target;
                var delta = _simulation.AdvanceTo(until);
                foreach (var c in delta.Conversations)
                {
                    if (c.Channel == Channels.WhatsApp && c.CreatedAt > previous)
                    {
                        _customers[c.ExternalId] = c.RequesterId ?? "cust-0000";
                        Add(c.CreatedAt, Created(c.ExternalId));
                    }
                }

                foreach (var m in delta.Messages)
                {
                    if (m.Channel != Channels.WhatsApp)
                    {
                        continue;
                    }

                    _messages.Add(new LoggedMessage(_nextSequence++, m, _customers.GetValueOrDefault(m.ConversationId, "cust-0000")));
                    if (m.Direction == MessageDirection.Outbound)
                    {
                        var ok = m.DeliveryStatus != "failed";
                        Add(m.At, new Counts(0, ok ? 1 : 0, 1, m.DeliveryStatus is "delivered" or "read" ? 1 : 0, 0, 0, 0));
                    }
                }
            }

            var cutoff = _simulation.Now - MessageRetention;
            var old = _messages.FindIndex(m => m.Message.At >= cutoff);
            _messages.RemoveRange(0, old < 0 ? _messages.Count : old);
        }
    }

    /// <summary>The half hours that start in [<paramref name="from"/>, <paramref name="to"/>) and saw anything, in time order.</summary>
    public IReadOnlyList<(DateTimeOffset Start, Counts Counts)> Buckets(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate)
        {
            return [.. _buckets
                .Where(b => b.Key >= from.UtcTicks && b.Key < to.UtcTicks)
                .Select(b => (new DateTimeOffset(b.Key, TimeSpan.Zero), b.Value))];
        }
    }

    /// <summary>Up to <paramref name="max"/> logged messages with a sequence of <paramref name="from"/> or more, oldest first.</summary>
    public IReadOnlyList<LoggedMessage> MessagesFrom(long from, int max)
    {
        lock (_gate)
        {
            var i = _messages.FindIndex(m => m.Sequence >= from);
            return i < 0 ? [] : _messages.GetRange(i, Math.Min(max, _messages.Count - i));
        }
    }

    /// <summary>The template traffic a new WhatsApp conversation brings (see the remarks), and the conversation itself.</summary>
    private Counts Created(string conversationId) => new(
        1, 0, 0, 0,
        StableHash.Unit(Seed, conversationId, "utility") < UtilityShare ? 1 : 0,
        StableHash.Unit(Seed, conversationId, "marketing") < MarketingShare ? 1 : 0,
        StableHash.Unit(Seed, conversationId, "authentication") < AuthenticationShare ? 1 : 0);

    private void Add(DateTimeOffset at, Counts counts)
    {
        var key = at.UtcTicks - at.UtcTicks % BucketLength.Ticks;
        _buckets[key] = _buckets.GetValueOrDefault(key) + counts;
    }
}
