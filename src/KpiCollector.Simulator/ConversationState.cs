using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>Where a conversation is in the simulated workflow (richer than the platform-visible status).</summary>
internal enum Phase
{
    Arrived,
    WithBot,
    Queued,
    Handling,
    WaitingOnCustomer,
    Resolved,
    Abandoned,
    Closed,
}

/// <summary>
/// The mutable simulation state of one conversation. Only the pending events and the agent queue refer to it, so it
/// becomes garbage once its last event (close, survey) has run. <see cref="ToRecord"/> takes the immutable version
/// the platform would show.
/// </summary>
internal sealed class ConversationState
{
    public required string ExternalId { get; init; }
    public required string Channel { get; init; }
    public required long CreatedAt { get; init; }
    public string? Priority { get; init; }
    public string? TicketType { get; init; }
    public string? Team { get; init; }
    public string? RequesterId { get; init; }

    /// <summary>Email and phone take an agent's whole attention; messaging shares it.</summary>
    public bool Exclusive => Channel is Channels.Email or Channels.Phone;

    public Phase Phase { get; set; } = Phase.Arrived;
    public ConversationStatus Status { get; set; } = ConversationStatus.New;
    public int Agent { get; set; } = -1;
    public string? AssigneeId { get; set; }
    public long? FirstResponseAt { get; set; }
    public ResponderKind? FirstResponderKind { get; set; }
    public long? BotHandoffAt { get; set; }
    public long? FirstHumanResponseAt { get; set; }
    public long? FirstResolvedAt { get; set; }
    public long? ResolvedAt { get; set; }
    public long? ClosedAt { get; set; }
    public int AgentPublicReplies { get; set; }
    public int Reopens { get; set; }
    public long? HandleTicks { get; set; }
    public long WaitingOnCustomerTicks { get; set; }
    public long UpdatedAt { get; set; }

    /// <summary>Identifies the current stay in the agent queue, so a stale abandonment timer does nothing.</summary>
    public long QueueTicket { get; set; }

    /// <summary>The handle time of the work in progress, added to <see cref="HandleTicks"/> when it ends.</summary>
    public long CurrentHandleTicks { get; set; }

    /// <summary>When the conversation went pending (waiting on the customer).</summary>
    public long PendingSince { get; set; }

    /// <summary>When the customer message the next human reply answers was sent (the start of that wait).</summary>
    public long AwaitingSince { get; set; }

    /// <summary>How many messages the conversation has had: numbers the next message's id.</summary>
    public int Messages { get; set; }

    /// <summary>The <see cref="TrafficSimulation.AdvanceTo"/> call in which it was last reported as changed.</summary>
    public long ChangedInCall { get; set; }

    public Conversation ToRecord(string source) => new()
    {
        Source = source,
        ExternalId = ExternalId,
        Channel = Channel,
        Status = Status,
        Priority = Priority,
        TicketType = TicketType,
        Team = Team,
        RequesterId = RequesterId,
        AssigneeId = AssigneeId,
        CreatedAt = At(CreatedAt),
        FirstResponseAt = At(FirstResponseAt),
        FirstResponderKind = FirstResponderKind,
        BotHandoffAt = At(BotHandoffAt),
        FirstHumanResponseAt = At(FirstHumanResponseAt),
        FirstResolvedAt = At(FirstResolvedAt),
        ResolvedAt = At(ResolvedAt),
        ClosedAt = At(ClosedAt),
        AgentPublicReplies = AgentPublicReplies,
        Reopens = Reopens,
        HandleTime = HandleTicks is { } handle ? TimeSpan.FromTicks(handle) : null,
        WaitingOnCustomer = TimeSpan.FromTicks(WaitingOnCustomerTicks),
        UpdatedAt = At(UpdatedAt),
    };

    public static DateTimeOffset At(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static DateTimeOffset? At(long? utcTicks) => utcTicks is { } t ? At(t) : null;
}
