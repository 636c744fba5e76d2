namespace KpiCollector.Configuration;

/// <summary>The built-in traffic model's knobs: <c>KpiCollector:Simulator</c>.</summary>
public sealed class SimulatorSettings
{
    /// <summary>Same seed, same traffic. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Mean arrivals per hour over a week; daily and weekly seasonality shape it. Default 120.</summary>
    public double ArrivalsPerHour { get; set; } = 120;

    /// <summary>Agent headcount spread over shifts. Default 24.</summary>
    public int Agents { get; set; } = 24;

    /// <summary>Messaging conversations an agent handles at once. Default 3.</summary>
    public int ChatConcurrency { get; set; } = 3;

    /// <summary>Share of bot-handled conversations the bot resolves alone (0..1). Default 0.25.</summary>
    public double BotDeflection { get; set; } = 0.25;

    /// <summary>History generated at first start so the 24h and 7d windows (and the 1h volume baseline) are full at once. Default <c>8d</c>.</summary>
    public string Backfill { get; set; } = "8d";

    /// <summary>How far behind real time the simulated data is complete (the watermark lag). Default <c>5s</c>.</summary>
    public string Lag { get; set; } = "5s";

    /// <summary>In demo mode, the staff cost per agent-hour when KpiCollector:Costs:StaffPerAgentHour is unset. Default 25.</summary>
    public decimal StaffCostPerAgentHour { get; set; } = 25;

    /// <summary>
    /// Load surges to play (demo and alert tests): arrivals are multiplied by <see cref="ScenarioSettings.Multiplier"/>
    /// from <see cref="ScenarioSettings.StartAfter"/> after the collector started, for <see cref="ScenarioSettings.Duration"/>.
    /// No agents are added, so queues build and first-response SLAs breach.
    /// </summary>
    public List<ScenarioSettings> Surges { get; set; } = [];

    /// <summary>Simulated API outages: every poll in the interval fails with reason <c>http_5xx</c>.</summary>
    public List<ScenarioSettings> Outages { get; set; } = [];
}

/// <summary>A scenario interval relative to the collector's start.</summary>
public sealed class ScenarioSettings
{
    /// <summary>How long after start the scenario begins: <c>0s</c> (at once), <c>10m</c>, ...</summary>
    public string StartAfter { get; set; } = "0s";

    /// <summary>How long it lasts. Default <c>1h</c>.</summary>
    public string Duration { get; set; } = "1h";

    /// <summary>For surges: the arrival-rate multiplier (more than 0, at most 100). Default 3.</summary>
    public double Multiplier { get; set; } = 3;
}
