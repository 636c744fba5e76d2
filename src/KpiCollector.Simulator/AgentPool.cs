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
/// </remarks>
internal sealed class AgentPool
{
    private readonly int[] _load;
    private readonly int _slots;
    private readonly Queue<WorkItem>[] _tiers = [new(), new(), new()];
    private long _tickets;
    private int _next;

    public AgentPool(int headcount, int slotsPerAgent)
    {
        _load = new int[headcount];
        _slots = slotsPerAgent;
    }

    /// <summary>How many agents are on shift (the first ones).</summary>
    public int Online { get; set; }

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
    public bool TryDispatch(out ConversationState conversation, out int agent)
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
        _load[agent] += need;
        _next = agent + 1;
        conversation = head.Conversation;
        return true;
    }

    /// <summary>Frees the slots a conversation held.</summary>
    public void Release(int agent, ConversationState conversation) => _load[agent] -= Need(conversation);

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
