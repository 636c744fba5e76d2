using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>
/// The life of a conversation after it arrives: bot, queue, agent (with the messages exchanged), resolution, reopen,
/// close, surveys.
/// </summary>
public sealed partial class TrafficSimulation
{
    private const double PendingShare = 0.10;
    private const double ReopenShare = 0.05;
    private const int MaxReopens = 2;

    /// <summary>Follow-up exchanges (a customer message and the agent's reply) while an agent handles a first contact.</summary>
    private static readonly WeightedChoice<int> FollowUps = new((0, 45), (1, 30), (2, 17), (3, 8));

    private void BotReply(ConversationState c)
    {
        c.FirstResponseAt = _now;
        c.FirstResponderKind = ResponderKind.Bot;
        c.Status = ConversationStatus.Open;
        Changed(c);
        Message(c, MessageDirection.Outbound, AuthorKind.Bot, respondsTo: c.CreatedAt);

        if (_random.Chance(_options.BotDeflection))
        {
            After(_random.Between(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)), EventKind.BotResolve, c);
        }
        else
        {
            // The bot collects the details and hands off to the human queue.
            After(_random.Between(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)), EventKind.Enqueue, c);
        }
    }

    /// <summary>Queues a conversation for its first human reply; a messaging or phone customer gives up after a while.</summary>
    private void WaitForAgent(ConversationState c)
    {
        if (c.Phase == Phase.WithBot)
        {
            // The bot hands off: from now on the customer waits for a live agent.
            c.BotHandoffAt = _now;
            Changed(c);
        }

        var ticket = _agents.Enqueue(c);
        if (c.Channel != Channels.Email)
        {
            var patience = c.Channel == Channels.Phone
                ? _random.LogNormal(TimeSpan.FromMinutes(3), 0.8, TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(20))
                : _random.LogNormal(TimeSpan.FromMinutes(6), 1.0, TimeSpan.FromSeconds(30), TimeSpan.FromHours(2));
            After(patience, EventKind.Abandon, c, ticket);
        }

        Dispatch();
    }

    private void Abandon(ConversationState c, long ticket)
    {
        if (c.Phase != Phase.Queued || c.QueueTicket != ticket)
        {
            return; // an agent got there first
        }

        // The customer left, unseen by the platform: the conversation sits unanswered until it is closed as stale.
        c.Phase = Phase.Abandoned;
        After(_random.Between(TimeSpan.FromMinutes(30), TimeSpan.FromHours(4)), EventKind.Close, c);
    }

    /// <summary>Gives free agent capacity to waiting conversations, in queue order, and starts handling them.</summary>
    private void Dispatch()
    {
        while (_agents.TryDispatch(_now, out var c, out var agent))
        {
            var firstContact = c.FirstHumanResponseAt is null;
            c.Phase = Phase.Handling;
            c.Agent = agent;
            c.AssigneeId = _agentIds[agent];
            c.Status = ConversationStatus.Open;
            c.AgentPublicReplies++;
            c.FirstHumanResponseAt ??= _now;
            if (c.FirstResponseAt is null)
            {
                c.FirstResponseAt = _now;
                c.FirstResponderKind = ResponderKind.Human;
            }

            Changed(c);
            Message(c, MessageDirection.Outbound, AuthorKind.Human, respondsTo: c.AwaitingSince);

            var handle = firstContact
                ? _random.LogNormal(MedianHandle(c.Channel), 0.6, TimeSpan.FromSeconds(30), TimeSpan.FromHours(2))
                : _random.LogNormal(TimeSpan.FromMinutes(3), 0.6, TimeSpan.FromSeconds(20), TimeSpan.FromHours(1));
            c.CurrentHandleTicks = RoundToMs(handle.Ticks);
            if (firstContact)
            {
                PlanFollowUps(c, c.CurrentHandleTicks);
            }

            After(handle, EventKind.HandleDone, c);
        }
    }

    /// <summary>
    /// Plans the follow-up exchanges of a first contact inside its handle time: the time is cut into one segment per
    /// exchange plus a wrap-up; in each, the customer writes and the agent replies after a delay that grows with how
    /// busy the agents are now, within the segment.
    /// </summary>
    private void PlanFollowUps(ConversationState c, long handleTicks)
    {
        var exchanges = FollowUps.Pick(_random);
        if (exchanges == 0)
        {
            return;
        }

        var load = _agents.Utilization;
        var typicalReply = TimeSpan.FromSeconds(20 + 70 * load * load);
        var segment = RoundToMs(handleTicks / (exchanges + 1));
        for (var i = 0; i < exchanges; i++)
        {
            var segmentStart = i * segment;
            var segmentEnd = segmentStart + segment;
            var ask = segmentStart + Math.Max(TimeSpan.TicksPerMillisecond, RoundToMs((long)(segment * _random.Uniform(0.1, 0.5))));
            var delay = _random.LogNormal(typicalReply, 0.7, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(30));

            // Strictly after the question, strictly before the next segment (the next question, or the end of handling).
            var reply = Math.Max(ask + TimeSpan.TicksPerMillisecond, Math.Min(ask + RoundToMs(delay.Ticks), segmentEnd - TimeSpan.TicksPerMillisecond));
            Schedule(_now + ask, new SimEvent(EventKind.FollowUpAsk, c));
            Schedule(_now + reply, new SimEvent(EventKind.FollowUpReply, c, _now + ask));
        }
    }

    /// <summary>The customer writes while the agent handles the conversation.</summary>
    private void FollowUpAsk(ConversationState c) => Message(c, MessageDirection.Inbound, AuthorKind.Customer);

    /// <summary>The agent answers the customer message sent at <paramref name="askedAt"/>.</summary>
    private void FollowUpReply(ConversationState c, long askedAt)
    {
        c.AgentPublicReplies++;
        Changed(c);
        Message(c, MessageDirection.Outbound, AuthorKind.Human, respondsTo: askedAt);
    }

    private static TimeSpan MedianHandle(string channel) => channel switch
    {
        Channels.Email => TimeSpan.FromMinutes(12),
        Channels.Phone => TimeSpan.FromMinutes(8),
        _ => TimeSpan.FromMinutes(6),
    };

    private void FinishHandling(ConversationState c)
    {
        var firstContact = c.HandleTicks is null;
        c.HandleTicks = (c.HandleTicks ?? 0) + c.CurrentHandleTicks;
        _agents.Release(c.Agent, c, _now);

        if (firstContact && _random.Chance(PendingShare))
        {
            // The agent needs something from the customer, who answers minutes to hours later.
            c.Phase = Phase.WaitingOnCustomer;
            c.Status = ConversationStatus.Pending;
            c.PendingSince = _now;
            Changed(c);
            After(_random.LogNormal(TimeSpan.FromMinutes(40), 1.0, TimeSpan.FromMinutes(2), TimeSpan.FromHours(24)), EventKind.CustomerReply, c);
        }
        else
        {
            Resolve(c, byBot: false);
        }

        Dispatch();
    }

    private void CustomerReplies(ConversationState c)
    {
        c.WaitingOnCustomerTicks += _now - c.PendingSince;
        c.Status = ConversationStatus.Open;
        c.AwaitingSince = _now;
        Changed(c);
        Message(c, MessageDirection.Inbound, AuthorKind.Customer);
        _agents.Enqueue(c); // a follow-up: the customer is engaged and does not give up
        Dispatch();
    }

    private void Resolve(ConversationState c, bool byBot)
    {
        var firstResolution = c.FirstResolvedAt is null;
        c.Phase = Phase.Resolved;
        c.Status = ConversationStatus.Solved;
        c.ResolvedAt = _now;
        c.FirstResolvedAt ??= _now;
        Changed(c);

        if (firstResolution)
        {
            OfferSurveys(c);
        }

        if (!byBot && c.Reopens < MaxReopens && _random.Chance(ReopenShare))
        {
            After(_random.LogNormal(TimeSpan.FromHours(2), 0.8, TimeSpan.FromMinutes(10), TimeSpan.FromHours(20)), EventKind.Reopen, c);
        }
        else
        {
            After(_random.Between(TimeSpan.FromHours(2), TimeSpan.FromHours(8)), EventKind.Close, c);
        }
    }

    private void Reopen(ConversationState c)
    {
        c.Reopens++;
        c.Status = ConversationStatus.Open;
        c.AwaitingSince = _now;
        Changed(c);
        Message(c, MessageDirection.Inbound, AuthorKind.Customer); // the customer writes back
        _agents.Enqueue(c);
        Dispatch();
    }

    private void Close(ConversationState c)
    {
        c.Phase = Phase.Closed;
        c.Status = ConversationStatus.Closed;
        c.ClosedAt = _now;
        Changed(c);
    }

    private void OfferSurveys(ConversationState c)
    {
        var humanWait = c.FirstHumanResponseAt is { } human ? TimeSpan.FromTicks(human - c.CreatedAt) : (TimeSpan?)null;
        var mood = SurveyModel.Mood(humanWait, TimeSpan.FromTicks(_now - c.CreatedAt));
        Offer(c, SurveyKind.Csat, SurveyModel.CsatRate, mood);
        Offer(c, SurveyKind.Nps, SurveyModel.NpsRate, mood);
        Offer(c, SurveyKind.Ces, SurveyModel.CesRate, mood);
    }

    /// <summary>
    /// Offers a survey now. One record per offer, id <c>{conversation}-{kind}</c>: the answer (with its score, when it
    /// is given) or, for an offer nobody answers, the offer (no score, at the offer time), reported now.
    /// </summary>
    private void Offer(ConversationState c, SurveyKind kind, double responseRate, double mood)
    {
        var (min, max) = SurveyModel.Scale(kind);
        if (!_random.Chance(responseRate))
        {
            _surveys.Add(Survey(c, kind, null, min, max, _now));
            return;
        }

        var delay = _random.LogNormal(TimeSpan.FromMinutes(40), 1.1, TimeSpan.FromMinutes(2), TimeSpan.FromHours(48));
        var (score, _, _) = SurveyModel.Answer(_random, kind, mood);
        var answeredAt = _now + RoundToMs(delay.Ticks);
        Schedule(answeredAt, new SimEvent(EventKind.Survey, Survey: Survey(c, kind, score, min, max, answeredAt)));
    }

    private SurveyResponse Survey(ConversationState c, SurveyKind kind, double? score, double min, double max, long at) => new()
    {
        Source = _source,
        ExternalId = $"{c.ExternalId}-{kind.ToLabel()}",
        ConversationId = c.ExternalId,
        Kind = kind,
        Score = score,
        ScaleMin = min,
        ScaleMax = max,
        RespondedAt = ConversationState.At(at),
        Channel = c.Channel,
        AgentId = c.AssigneeId,
        Team = c.Team,
    };
}
