using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>
/// The knobs of the traffic model (docs/sources.md, "The traffic model"). The defaults describe a mid-size helpdesk:
/// about 20,000 conversations a week, WhatsApp dominant, 24 agents on shifts, a bot that deflects a quarter of what it
/// sees. Staffing follows the arrival profile with little headroom at the peaks and none for surges, so waits,
/// abandonment and survey scores respond to load.
/// </summary>
public sealed record SimulatorOptions
{
    /// <summary>Seed of the single <see cref="Random"/> the simulation draws from: same seed, same traffic.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Mean arrival rate over a week; the daily and weekly seasonal profile multiplies it.</summary>
    public double ArrivalsPerHour { get; init; } = 120;

    /// <summary>Headcount. The shift roster decides how many of them are online in each hour.</summary>
    public int Agents { get; init; } = 24;

    /// <summary>Simultaneous messaging conversations per agent. Email and phone take an agent's whole attention.</summary>
    public int ChatConcurrency { get; init; } = 3;

    /// <summary>Share of bot-eligible conversations (WhatsApp, chat, web) the bot resolves without a human.</summary>
    public double BotDeflection { get; init; } = 0.25;

    /// <summary>
    /// Share of emails that land somewhere nobody looks (a wrong folder, an unwatched group): they wait a day up to
    /// <see cref="StrandedFor"/> before anyone picks them up, unchanged all that time, so an account has open, unanswered
    /// tickets older than any incremental read's window. Default 0 (none, and the traffic is exactly what it was before
    /// the knob existed).
    /// </summary>
    public double StrandedShare { get; init; }

    /// <summary>The longest a stranded email waits before it reaches the queue. Default 21 days.</summary>
    public TimeSpan StrandedFor { get; init; } = TimeSpan.FromDays(21);

    /// <summary>Periods of extra traffic. Staffing does not react to them, so queues build.</summary>
    public IReadOnlyList<SimulatedSurge> Surges { get; init; } = [];

    internal void Validate()
    {
        if (!double.IsFinite(ArrivalsPerHour) || ArrivalsPerHour < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ArrivalsPerHour), ArrivalsPerHour, "Must be a finite number >= 0.");
        }

        if (Agents < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Agents), Agents, "Must be >= 0.");
        }

        if (ChatConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ChatConcurrency), ChatConcurrency, "Must be >= 1.");
        }

        if (!(BotDeflection is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(BotDeflection), BotDeflection, "Must be between 0 and 1.");
        }

        if (!(StrandedShare is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(StrandedShare), StrandedShare, "Must be between 0 and 1.");
        }

        if (StrandedFor <= TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(StrandedFor), StrandedFor, "Must be more than a day.");
        }

        ArgumentNullException.ThrowIfNull(Surges);
        foreach (var surge in Surges)
        {
            ArgumentNullException.ThrowIfNull(surge, nameof(Surges));
            if (surge.Duration < TimeSpan.Zero || !double.IsFinite(surge.Multiplier) || surge.Multiplier < 0)
            {
                throw new ArgumentException($"Invalid surge {surge}: duration and multiplier must be >= 0.", nameof(Surges));
            }
        }
    }
}

/// <summary>
/// Extra traffic: during [<paramref name="Start"/>, <paramref name="Start"/> + <paramref name="Duration"/>) the
/// arrival rate is multiplied by <paramref name="Multiplier"/> (overlapping surges multiply together).
/// </summary>
public sealed record SimulatedSurge(DateTimeOffset Start, TimeSpan Duration, double Multiplier)
{
    internal bool IsActiveAt(long utcTicks) =>
        utcTicks >= Start.UtcTicks && utcTicks < Start.UtcTicks + Duration.Ticks;
}

/// <summary>What one <see cref="TrafficSimulation.AdvanceTo"/> call produced.</summary>
/// <param name="Conversations">The latest version of every conversation that changed in the interval, in order of first change.</param>
/// <param name="Surveys">
/// The survey responses given in the interval, and the surveys offered in it that will not be answered (no score, at
/// the offer time), in time order. One record per offer: an answered survey is only reported as its answer.
/// </param>
public sealed record SimulationDelta(IReadOnlyList<Conversation> Conversations, IReadOnlyList<SurveyResponse> Surveys)
{
    /// <summary>The messages sent in the interval, in time order. A message is reported once and never changes.</summary>
    public IReadOnlyList<MessageEvent> Messages { get; init; } = [];

    /// <summary>
    /// Agent activity per 15-minute UTC period, for the agents on shift in it: the periods that closed in the interval,
    /// then the open version (no end) of the period in progress at its end, which a later call replaces with the
    /// closed version (same id).
    /// </summary>
    public IReadOnlyList<AgentActivity> AgentActivities { get; init; } = [];

    /// <summary>The WhatsApp platform cost of each UTC hour that closed in the interval.</summary>
    public IReadOnlyList<CostEntry> Costs { get; init; } = [];

    /// <summary>The customers feed of each UTC day that closed in the interval.</summary>
    public IReadOnlyList<CustomerCount> Customers { get; init; } = [];
}
