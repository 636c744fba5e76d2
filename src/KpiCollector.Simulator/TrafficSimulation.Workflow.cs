using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>The life of a conversation after it arrives: bot, queue, agent, resolution, reopen, close, surveys.</summary>
public sealed partial class TrafficSimulation
{
    private const double PendingShare = 0.10;
    private const double ReopenShare = 0.05;
    private const int MaxReopens = 2;

    private static readonly WeightedChoice<int> ExtraReplies = new((0, 45), (1, 30), (2, 17), (3, 8));

    private void BotReply(ConversationState c)
    {
        c.FirstResponseAt = _now;
        c.FirstResponderKind = ResponderKind.Bot;
        c.Status = ConversationStatus.Open;
        Changed(c);

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
        while (_agents.TryDispatch(out var c, out var agent))
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

            var handle = firstContact
                ? _random.LogNormal(MedianHandle(c.Channel), 0.6, TimeSpan.FromSeconds(30), TimeSpan.FromHours(2))
                : _random.LogNormal(TimeSpan.FromMinutes(3), 0.6, TimeSpan.FromSeconds(20), TimeSpan.FromHours(1));
            c.CurrentHandleTicks = RoundToMs(handle.Ticks);
            After(handle, EventKind.HandleDone, c);
        }
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
        _agents.Release(c.Agent, c);

        if (firstContact)
        {
            c.AgentPublicReplies += ExtraReplies.Pick(_random);
        }

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
        Changed(c);
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
        Changed(c);
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

    private void Offer(ConversationState c, SurveyKind kind, double responseRate, double mood)
    {
        if (!_random.Chance(responseRate))
        {
            return;
        }

        var delay = _random.LogNormal(TimeSpan.FromMinutes(40), 1.1, TimeSpan.FromMinutes(2), TimeSpan.FromHours(48));
        var (score, min, max) = SurveyModel.Answer(_random, kind, mood);
        var response = new SurveyResponse
        {
            Source = _source,
            ExternalId = $"{c.ExternalId}-{kind.ToString().ToLowerInvariant()}",
            ConversationId = c.ExternalId,
            Kind = kind,
            Score = score,
            ScaleMin = min,
            ScaleMax = max,
            RespondedAt = ConversationState.At(_now + RoundToMs(delay.Ticks)),
            Channel = c.Channel,
            AgentId = c.AssigneeId,
            Team = c.Team,
        };
        Schedule(_now + RoundToMs(delay.Ticks), new SimEvent(EventKind.Survey, Survey: response));
    }
}
