using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>
/// A deterministic discrete-event simulation of a helpdesk: customers arrive, bots answer and deflect part of them, the
/// rest wait in a queue for agents on shifts, get handled, resolved, sometimes reopened, closed, and answer surveys.
/// Besides conversations and surveys it reports what every KPI needs: the messages of each conversation, agent
/// activity per 15 minutes, WhatsApp platform cost per hour and a daily customers feed.
/// </summary>
/// <remarks>
/// <para>
/// The model: arrivals are a non-homogeneous Poisson process (thinning) following <see cref="Seasonality"/> and the
/// surges; the channel mix is WhatsApp-dominant; WhatsApp, chat and web conversations meet a bot first, which resolves
/// a share of them; the rest wait for <see cref="AgentPool"/> (calls first, then messaging, then email, first come first
/// served within each), whose roster does not grow for surges, so waits and abandonment grow with load. Every change
/// to a conversation is a new version stamped with the simulated time of the change; survey scores worsen with
/// waiting (<see cref="SurveyModel"/>). Every resolved conversation is offered the three surveys; an offer that is
/// not answered is reported, at the offer, with no score.
/// </para>
/// <para>
/// Messages are immutable and reported when sent. Periodic records close on UTC clock boundaries, by an event: agent
/// activity every 15 minutes (and an open version of the period in progress at each <see cref="AdvanceTo"/> target,
/// replaced by the closed version later), cost every hour, customers every day. Agent figures are kept in whole ticks,
/// so reading them at a call boundary changes nothing.
/// </para>
/// <para>
/// Determinism: one <see cref="Random"/> seeded from the options for the traffic, and one for the customers feed, each
/// drawn from only while events run in (time, sequence) order, and every future event, the next arrival included, is
/// scheduled when it becomes known. How the run is cut into <see cref="AdvanceTo"/> calls therefore changes nothing.
/// No wall clock is read.
/// </para>
/// <para>
/// Memory stays bounded: a conversation lives only in its pending events and the agent queue, and is dropped once
/// closed with its surveys given; the periodic records keep only the period in progress. Not thread-safe: one caller
/// advances a simulation.
/// </para>
/// </remarks>
public sealed partial class TrafficSimulation
{
    private static readonly WeightedChoice<string> ChannelMix = new(
        (Channels.WhatsApp, 50), (Channels.Chat, 15), (Channels.Email, 15), (Channels.Web, 8),
        (Channels.Phone, 5), (Channels.Social, 4), (Channels.Sms, 3));

    private static readonly WeightedChoice<string> Priorities = new(("low", 20), ("normal", 60), ("high", 15), ("urgent", 5));
    private static readonly WeightedChoice<string> TicketTypes = new(("question", 50), ("incident", 25), ("problem", 10), ("task", 15));
    private static readonly WeightedChoice<string> Teams = new(("billing", 35), ("tech", 45), ("sales", 20));

    private const int Customers = 5000;
    private const int RegularCustomers = 300;
    private const double RegularShare = 0.3;

    private readonly SimulatorOptions _options;
    private readonly string _source;
    private readonly Random _random;
    private readonly AgentPool _agents;
    private readonly string[] _agentIds;
    private readonly SimulatedSurge[] _surges;
    private readonly PriorityQueue<SimEvent, EventKey> _events = new();
    private readonly double _maxRatePerHour;
    private readonly List<ConversationState> _changed = [];
    private readonly List<SurveyResponse> _surveys = [];
    private readonly List<MessageEvent> _messages = [];
    private readonly List<AgentActivity> _activities = [];
    private readonly List<CostEntry> _costs = [];
    private readonly List<CustomerCount> _customers = [];
    private long _sequence;
    private long _now;
    private long _call;
    private int _conversations;

    public TrafficSimulation(SimulatorOptions options, string sourceName, DateTimeOffset epoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        options.Validate();

        _options = options;
        _source = sourceName;
        _random = new Random(options.Seed);
        _customerRandom = new Random(unchecked((options.Seed * 397) ^ CustomerSeedSalt));
        _agents = new AgentPool(options.Agents, options.ChatConcurrency, epoch.UtcTicks);
        _agentIds = Enumerable.Range(1, options.Agents).Select(i => $"agent-{i:D2}").ToArray();
        _agentTeams = Enumerable.Range(1, options.Agents).Select(AgentTeam).ToArray();
        _surges = [.. options.Surges]; // a copy: a list changed later must not change the traffic
        _maxRatePerHour = options.ArrivalsPerHour * Seasonality.MaxShape
            * _surges.Aggregate(1.0, (product, s) => product * Math.Max(1, s.Multiplier));

        Epoch = epoch;
        Now = epoch;
        _now = epoch.UtcTicks;

        // The roster for the first hour, the first period end, and the first arrival; everything else follows from events.
        _agents.SetOnline(Seasonality.OnlineAgents(_now, options.Agents), _now);
        _periodStart = _now;
        _hourStart = _now;
        _customerCount = InitialCustomers;
        Schedule(NextHour(_now), new SimEvent(EventKind.Roster));
        Schedule(NextPeriod(_now), new SimEvent(EventKind.PeriodEnd));
        ScheduleNextArrival(_now);
    }

    /// <summary>The instant the simulation starts from.</summary>
    public DateTimeOffset Epoch { get; }

    /// <summary>How far the simulation has run: the last <see cref="AdvanceTo"/> target, or <see cref="Epoch"/>.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>
    /// Runs the simulation up to and including <paramref name="until"/> (no-op when it is not after <see cref="Now"/>)
    /// and returns what happened in (previous <see cref="Now"/>, <paramref name="until"/>]: the latest version of each
    /// conversation that changed, the survey responses given and offers left unanswered, the messages sent, the
    /// periods that closed (agent activity, cost, customers) and the open agent activity of the period in progress.
    /// </summary>
    public SimulationDelta AdvanceTo(DateTimeOffset until)
    {
        var target = until.UtcTicks;
        if (target <= _now)
        {
            return new SimulationDelta([], []);
        }

        _call++;
        _changed.Clear();
        _surveys.Clear();
        _messages.Clear();
        _activities.Clear();
        _costs.Clear();
        _customers.Clear();
        while (_events.TryPeek(out _, out var key) && key.At <= target)
        {
            var e = _events.Dequeue();
            _now = key.At;
            Run(e);
        }

        _now = target;
        Now = until;
        ReportOpenPeriod();
        var conversations = new Conversation[_changed.Count];
        for (var i = 0; i < conversations.Length; i++)
        {
            conversations[i] = _changed[i].ToRecord(_source);
        }

        return new SimulationDelta(conversations, _surveys.ToArray())
        {
            Messages = _messages.ToArray(),
            AgentActivities = _activities.ToArray(),
            Costs = _costs.ToArray(),
            Customers = _customers.ToArray(),
        };
    }

    private void Run(SimEvent e)
    {
        var c = e.Conversation!;
        switch (e.Kind)
        {
            case EventKind.Arrival:
                Arrive();
                break;
            case EventKind.Roster:
                _agents.SetOnline(Seasonality.OnlineAgents(_now, _options.Agents), _now);
                Schedule(NextHour(_now), e);
                Dispatch();
                break;
            case EventKind.PeriodEnd:
                ClosePeriod();
                Schedule(NextPeriod(_now), e);
                break;
            case EventKind.BotReply:
                BotReply(c);
                break;
            case EventKind.BotResolve:
                Resolve(c, byBot: true);
                break;
            case EventKind.Enqueue:
                WaitForAgent(c);
                break;
            case EventKind.Abandon:
                Abandon(c, e.Ticket);
                break;
            case EventKind.HandleDone:
                FinishHandling(c);
                break;
            case EventKind.CustomerReply:
                CustomerReplies(c);
                break;
            case EventKind.FollowUpAsk:
                FollowUpAsk(c);
                break;
            case EventKind.FollowUpReply:
                FollowUpReply(c, e.Ticket);
                break;
            case EventKind.Reopen:
                Reopen(c);
                break;
            case EventKind.Close:
                Close(c);
                break;
            case EventKind.Survey:
                _surveys.Add(e.Survey!);
                break;
        }
    }

    private void Arrive()
    {
        var number = ++_conversations;
        var customer = _random.Chance(RegularShare) ? _random.Next(RegularCustomers) : _random.Next(Customers);
        var c = new ConversationState
        {
            ExternalId = $"sim-{number:D6}",
            Channel = ChannelMix.Pick(_random),
            CreatedAt = _now,
            Priority = Priorities.Pick(_random),
            TicketType = TicketTypes.Pick(_random),
            Team = Teams.Pick(_random),
            RequesterId = $"cust-{customer + 1:D4}",
            AwaitingSince = _now,
        };
        Changed(c);
        CountCreated(c);
        Message(c, MessageDirection.Inbound, AuthorKind.Customer);

        if (c.Channel is Channels.WhatsApp or Channels.Chat or Channels.Web)
        {
            c.Phase = Phase.WithBot;
            After(_random.Between(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15)), EventKind.BotReply, c);
        }
        else if (c.Channel == Channels.Email && _options.StrandedShare > 0 && _random.Chance(_options.StrandedShare))
        {
            // Stranded: nobody sees it for days (drawn only when the knob is on, so the default traffic is unchanged).
            After(_random.Between(TimeSpan.FromDays(1), _options.StrandedFor), EventKind.Enqueue, c);
        }
        else if (c.Channel == Channels.Email)
        {
            // Nobody watches the inbox live: an email becomes workable after a triage delay of minutes to hours.
            After(_random.LogNormal(TimeSpan.FromMinutes(20), 1.0, TimeSpan.FromMinutes(1), TimeSpan.FromHours(8)), EventKind.Enqueue, c);
        }
        else
        {
            // Phone menu or messaging routing before the conversation reaches the agents' queue.
            After(_random.Between(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(40)), EventKind.Enqueue, c);
        }

        ScheduleNextArrival(_now);
    }

    /// <summary>Thinning: candidates at the maximum rate, each kept with probability rate(t) ÷ max.</summary>
    private void ScheduleNextArrival(long from)
    {
        if (_maxRatePerHour <= 0)
        {
            return;
        }

        var t = from;
        while (true)
        {
            // At least a millisecond: every event lies strictly after the instant it was scheduled from.
            t += Math.Max(TimeSpan.TicksPerMillisecond, RoundToMs((long)(_random.Exponential(1 / _maxRatePerHour) * TimeSpan.TicksPerHour)));
            if (_random.NextDouble() * _maxRatePerHour < RatePerHour(t))
            {
                Schedule(t, new SimEvent(EventKind.Arrival));
                return;
            }
        }
    }

    private double RatePerHour(long t)
    {
        var rate = _options.ArrivalsPerHour * Seasonality.Shape(t);
        foreach (var surge in _surges)
        {
            if (surge.IsActiveAt(t))
            {
                rate *= surge.Multiplier;
            }
        }

        return rate;
    }

    private void After(TimeSpan delay, EventKind kind, ConversationState c, long ticket = 0) =>
        Schedule(_now + RoundToMs(delay.Ticks), new SimEvent(kind, c, ticket));

    private void Schedule(long at, SimEvent e) => _events.Enqueue(e, new EventKey(at, ++_sequence));

    /// <summary>Records that a conversation changed now: a new version, reported by the current call.</summary>
    private void Changed(ConversationState c)
    {
        c.UpdatedAt = _now;
        if (c.ChangedInCall != _call)
        {
            c.ChangedInCall = _call;
            _changed.Add(c);
        }
    }

    // Delays are whole milliseconds, so every timestamp is a whole millisecond after the epoch.
    private static long RoundToMs(long ticks) => ticks - ticks % TimeSpan.TicksPerMillisecond;

    private static long NextHour(long t) => t - t % TimeSpan.TicksPerHour + TimeSpan.TicksPerHour;

    private static long NextPeriod(long t) => t - t % PeriodTicks + PeriodTicks;

    private enum EventKind
    {
        Arrival,
        Roster,
        BotReply,
        BotResolve,
        Enqueue,
        Abandon,
        HandleDone,
        CustomerReply,
        FollowUpAsk,
        FollowUpReply,
        Reopen,
        Close,
        Survey,
        PeriodEnd,
    }

    private readonly record struct SimEvent(EventKind Kind, ConversationState? Conversation = null, long Ticket = 0, SurveyResponse? Survey = null);

    private readonly record struct EventKey(long At, long Sequence) : IComparable<EventKey>
    {
        public int CompareTo(EventKey other) =>
            At != other.At ? At.CompareTo(other.At) : Sequence.CompareTo(other.Sequence);
    }
}
