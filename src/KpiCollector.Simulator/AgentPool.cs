using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>
/// The human side of the helpdesk: agents with a number of slots each, and the queue of conversations waiting for one.
/// </summary>
/// <remarks>
/// <para>
/// Every agent has <c>ChatConcurrency</c> slots. A messaging conversation takes one slot; an email or a call takes an
/// agent's full attention, that is <c>ChatConcurrency</c> slots. Capacity is pooled across the agents on shift (agents
/// 0..<see cref="Online"/>-1): work starts when the free slots of the online agents add up to what it needs, and goes to
/// the agent with the most free slots, who may briefly hold more than a full load while wrapping up chats. An agent who
/// goes off shift takes no new work and finishes what it holds outside the pool.
/// </para>
/// <para>
/// Waiting work is served first come, first served within three tiers: calls (a caller on hold) first, then
/// messaging (a customer in a live conversation), then email, which waits for a quiet moment. A conversation that
/// leaves the queue (the customer gave up) is skipped when it reaches the head.
/// </para>
/// <para>
/// The pool also keeps, per agent, the time-weighted account of the current reporting period (time on shift, slots
/// held, time without a free slot) in whole ticks, so the figures do not depend on when they are read.
/// </para>
/// </remarks>
internal sealed class AgentPool
{
    private readonly int[] _load;
    private readonly int _slots;
    private readonly Queue<WorkItem>[] _tiers = [new(), new(), new()];
    private readonly long[] _since;
    private readonly long[] _onlineTicks;
    private readonly long[] _slotTicks;
    private readonly long[] _fullTicks;
    private long _tickets;
    private int _next;

    public AgentPool(int headcount, int slotsPerAgent, long start)
    {
        _load = new int[headcount];
        _slots = slotsPerAgent;
        _since = new long[headcount];
        _onlineTicks = new long[headcount];
        _slotTicks = new long[headcount];
        _fullTicks = new long[headcount];
        Array.Fill(_since, start);
    }

    /// <summary>How many agents are on shift (the first ones).</summary>
    public int Online { get; private set; }

    /// <summary>Headcount: agents on and off shift.</summary>
    public int Headcount => _load.Length;

    /// <summary>Busy slots ÷ slots of the agents on shift, now (1 when nobody is on shift).</summary>
    public double Utilization
    {
        get
        {
            var online = Math.Min(Online, _load.Length);
            if (online == 0)
            {
                return 1;
            }

            var busy = 0;
            for (var i = 0; i < online; i++)
            {
                busy += Math.Min(_load[i], _slots);
            }

            return (double)busy / (online * _slots);
        }
    }

    /// <summary>Changes the roster at <paramref name="now"/>, after accounting for the time before it.</summary>
    public void SetOnline(int online, long now)
    {
        Settle(now);
        Online = online;
    }

    /// <summary>Brings every agent's account of the current period up to <paramref name="now"/>.</summary>
    public void Settle(long now)
    {
        for (var agent = 0; agent < _load.Length; agent++)
        {
            Settle(agent, now);
        }
    }

    /// <summary>
    /// One agent's account of the current period, settled up to the last <see cref="Settle(long)"/>: time on shift,
    /// slots held (capped at the agent's slots) integrated over that time, and time spent without a free slot.
    /// </summary>
    public AgentUsage Usage(int agent) =>
        new(_onlineTicks[agent], _slotTicks[agent], _fullTicks[agent], Math.Min(_load[agent], _slots), agent < Online);

    /// <summary>Starts a new reporting period: clears every agent's account (settle first).</summary>
    public void StartPeriod()
    {
        Array.Clear(_onlineTicks);
        Array.Clear(_slotTicks);
        Array.Clear(_fullTicks);
    }

    /// <summary>Puts a conversation at the back of the queue and returns the ticket of this stay in it.</summary>
    public long Enqueue(ConversationState conversation)
    {
        var ticket = ++_tickets;
        conversation.Phase = Phase.Queued;
        conversation.QueueTicket = ticket;
        _tiers[Tier(conversation.Channel)].Enqueue(new WorkItem(conversation, ticket));
        return ticket;
    }

    /// <summary>
    /// Takes the conversation at the head of the queue if the online agents have room for it, and gives it to the
    /// agent with the most free slots (ties round-robin).
    /// </summary>
    public bool TryDispatch(long now, out ConversationState conversation, out int agent)
    {
        conversation = null!;
        agent = -1;
        Queue<WorkItem>? queue = null;
        var head = default(WorkItem);
        foreach (var tier in _tiers)
        {
            if (TryPeekLive(tier, out head))
            {
                queue = tier;
                break;
            }
        }

        if (queue is null)
        {
            return false;
        }

        var need = Need(head.Conversation);
        var online = Math.Min(Online, _load.Length);
        var free = 0;
        var mostFree = int.MinValue;
        for (var i = 0; i < online; i++)
        {
            var candidate = (_next + i) % online;
            var room = _slots - _load[candidate];
            free += room;
            if (room > mostFree)
            {
                mostFree = room;
                agent = candidate;
            }
        }

        if (free < need || mostFree <= 0)
        {
            agent = -1;
            return false;
        }

        queue.Dequeue();
        Settle(agent, now);
        _load[agent] += need;
        _next = agent + 1;
        conversation = head.Conversation;
        return true;
    }

    /// <summary>Frees the slots a conversation held.</summary>
    public void Release(int agent, ConversationState conversation, long now)
    {
        Settle(agent, now);
        _load[agent] -= Need(conversation);
    }

    private void Settle(int agent, long now)
    {
        var elapsed = now - _since[agent];
        if (elapsed <= 0)
        {
            return;
        }

        _since[agent] = now;
        if (agent >= Online)
        {
            return; // off shift: finishing what it holds, outside the pool and the report
        }

        _onlineTicks[agent] += elapsed;
        _slotTicks[agent] += Math.Min(_load[agent], _slots) * elapsed;
        if (_load[agent] >= _slots)
        {
            _fullTicks[agent] += elapsed;
        }
    }

    private static int Tier(string channel) => channel switch
    {
        Channels.Phone => 0,
        Channels.Email => 2,
        _ => 1,
    };

    private int Need(ConversationState conversation) => conversation.Exclusive ? _slots : 1;

    private static bool TryPeekLive(Queue<WorkItem> queue, out WorkItem item)
    {
        while (queue.TryPeek(out item))
        {
            if (item.Conversation.Phase == Phase.Queued && item.Conversation.QueueTicket == item.Ticket)
            {
                return true;
            }

            queue.Dequeue(); // the customer left
        }

        return false;
    }

    private readonly record struct WorkItem(ConversationState Conversation, long Ticket);
}

/// <summary>One agent's account of a reporting period (see <see cref="AgentPool.Usage"/>).</summary>
/// <param name="OnlineTicks">Time on shift in the period.</param>
/// <param name="SlotTicks">Slots held (at most the agent's slots) × time, while on shift.</param>
/// <param name="FullTicks">Time on shift without a free slot.</param>
/// <param name="HeldNow">Slots held now (at most the agent's slots).</param>
/// <param name="OnShift">Whether the agent is on shift now.</param>
internal readonly record struct AgentUsage(long OnlineTicks, long SlotTicks, long FullTicks, int HeldNow, bool OnShift);
