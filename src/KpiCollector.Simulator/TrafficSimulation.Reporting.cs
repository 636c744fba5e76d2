using System.Globalization;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>
/// What the simulation reports besides conversations and surveys: messages, agent activity per 15 minutes, WhatsApp
/// platform cost per hour and the daily customers feed.
/// </summary>
public sealed partial class TrafficSimulation
{
    /// <summary>The length of an agent activity period; periods are aligned to the UTC clock.</summary>
    private const long PeriodTicks = 15 * TimeSpan.TicksPerMinute;

    /// <summary>Platform fee per WhatsApp conversation, in <see cref="CostCurrency"/>.</summary>
    private const decimal WhatsAppPrice = 0.0320m;

    private const string CostCurrency = "EUR";

    // Outbound WhatsApp messages: most are read, some only delivered, about 2% fail.
    private const double FailedShare = 0.02;
    private const double DeliveredShare = 0.10;

    // The customers feed: the base at the epoch's day, and the mean daily shares gained and lost (with noise).
    private const long InitialCustomers = 5000;
    private const double NewShare = 0.010;
    private const double LostShare = 0.008;
    private const double CustomerNoise = 0.25;
    private const int CustomerSeedSalt = 0x5EED;

    private static readonly double GoldenRatio = (Math.Sqrt(5) - 1) / 2;

    private readonly Random _customerRandom;
    private readonly string[] _agentTeams;
    private readonly Dictionary<long, int> _whatsAppByHour = [];
    private long _periodStart;
    private long _hourStart;
    private long _customerCount;

    /// <summary>
    /// An agent's team, fixed by its number: spread evenly (golden-ratio sequence) so that the agents on a short night
    /// shift cover several teams; about 35% billing, 45% tech, 20% sales, like the conversations.
    /// </summary>
    private static string AgentTeam(int number)
    {
        var position = number * GoldenRatio % 1.0;
        return position < 0.35 ? "billing" : position < 0.80 ? "tech" : "sales";
    }

    /// <summary>Counts a new conversation towards its hour's platform cost.</summary>
    private void CountCreated(ConversationState c)
    {
        if (c.Channel == Channels.WhatsApp)
        {
            var hour = c.CreatedAt - c.CreatedAt % TimeSpan.TicksPerHour;
            _whatsAppByHour[hour] = _whatsAppByHour.GetValueOrDefault(hour) + 1;
        }
    }

    /// <summary>
    /// Reports a message of <paramref name="c"/> sent now. A customer message opens a wait (in this model every customer
    /// message follows a business reply or opens the conversation); a business reply names the customer message it
    /// answers. Outbound WhatsApp messages carry their delivery status.
    /// </summary>
    private void Message(ConversationState c, MessageDirection direction, AuthorKind author, long? respondsTo = null)
    {
        string? status = null;
        string? error = null;
        if (direction == MessageDirection.Outbound && c.Channel == Channels.WhatsApp)
        {
            var u = _random.NextDouble();
            if (u < FailedShare)
            {
                status = "failed";
                error = _random.Chance(0.5) ? "131047" : "131026"; // re-engagement window passed; undeliverable
            }
            else
            {
                status = u < FailedShare + DeliveredShare ? "delivered" : "read";
            }
        }

        _messages.Add(new MessageEvent
        {
            Source = _source,
            ExternalId = string.Create(CultureInfo.InvariantCulture, $"{c.ExternalId}-m{++c.Messages}"),
            ConversationId = c.ExternalId,
            At = ConversationState.At(_now),
            Direction = direction,
            Author = author,
            Channel = c.Channel,
            RespondsToAt = respondsTo is { } asked ? ConversationState.At(asked) : null,
            StartsWait = direction == MessageDirection.Inbound,
            DeliveryStatus = status,
            ErrorCode = error,
        });
    }

    /// <summary>
    /// At a 15-minute boundary: reports the closed period of every agent on shift in it, and closes the hour and the
    /// day when the boundary ends them.
    /// </summary>
    private void ClosePeriod()
    {
        _agents.Settle(_now);
        for (var agent = 0; agent < _agents.Headcount; agent++)
        {
            var usage = _agents.Usage(agent);
            if (usage.OnlineTicks > 0)
            {
                var busy = 2 * usage.FullTicks >= usage.OnlineTicks; // without a free slot most of the period
                _activities.Add(Activity(agent, _now, busy, (double)usage.SlotTicks / usage.OnlineTicks));
            }
        }

        _agents.StartPeriod();
        _periodStart = _now;

        if (_now % TimeSpan.TicksPerHour == 0)
        {
            CloseHour();
        }

        if (_now % TimeSpan.TicksPerDay == 0)
        {
            CloseDay();
        }
    }

    /// <summary>
    /// At the end of an <see cref="AdvanceTo"/> call: the open version (no end) of the period in progress, for every
    /// agent on shift now; busy when the agent has no free slot now. A later call reports the closed version.
    /// </summary>
    private void ReportOpenPeriod()
    {
        _agents.Settle(_now);
        for (var agent = 0; agent < _agents.Headcount; agent++)
        {
            var usage = _agents.Usage(agent);
            if (usage.OnShift)
            {
                var items = usage.OnlineTicks > 0 ? (double)usage.SlotTicks / usage.OnlineTicks : usage.HeldNow;
                _activities.Add(Activity(agent, null, usage.HeldNow >= _options.ChatConcurrency, items));
            }
        }
    }

    private AgentActivity Activity(int agent, long? to, bool busy, double workItems) => new()
    {
        Source = _source,
        ExternalId = string.Create(CultureInfo.InvariantCulture, $"{_agentIds[agent]}@{ConversationState.At(_periodStart).ToUnixTimeSeconds()}"),
        AgentId = _agentIds[agent],
        Team = _agentTeams[agent],
        From = ConversationState.At(_periodStart),
        To = to is { } end ? ConversationState.At(end) : null,
        State = busy ? AgentState.Busy : AgentState.Available,
        WorkItems = Math.Round(workItems, 4),
        Capacity = _options.ChatConcurrency,
    };

    /// <summary>The WhatsApp platform cost of the hour that ends now (from the epoch, for the first one).</summary>
    private void CloseHour()
    {
        var hour = _now - TimeSpan.TicksPerHour;
        _whatsAppByHour.Remove(hour, out var created);
        var from = ConversationState.At(_hourStart);
        _costs.Add(new CostEntry
        {
            Source = _source,
            ExternalId = string.Create(CultureInfo.InvariantCulture, $"whatsapp@{from.ToUnixTimeSeconds()}"),
            From = from,
            To = ConversationState.At(_now),
            Amount = Math.Round(created * WhatsAppPrice, 4),
            Currency = CostCurrency,
            Category = CostCategories.Platform,
        });
        _hourStart = _now;
    }

    /// <summary>The customers feed for the UTC day that ends now: it starts where the previous day ended.</summary>
    private void CloseDay()
    {
        var start = _customerCount;
        var gained = (long)Math.Round(start * NewShare * Math.Max(0, 1 + CustomerNoise * _customerRandom.Normal()));
        var lost = Math.Min(start, (long)Math.Round(start * LostShare * Math.Max(0, 1 + CustomerNoise * _customerRandom.Normal())));
        _customerCount = start + gained - lost;
        _customers.Add(new CustomerCount
        {
            Source = _source,
            PeriodStart = ConversationState.At(_now - TimeSpan.TicksPerDay),
            PeriodEnd = ConversationState.At(_now),
            Start = start,
            End = _customerCount,
            New = gained,
            Lost = lost,
        });
    }
}
