using KpiCollector.Core.Time;

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

    /// <summary>Adds the problems of this traffic model, each naming its key under <paramref name="key"/>.</summary>
    public void Validate(string key, List<string> failures)
    {
        if (!(this.ArrivalsPerHour > 0 && this.ArrivalsPerHour <= 100_000))
        {
            failures.Add($"{key}:ArrivalsPerHour: {this.ArrivalsPerHour} is out of range; allowed: more than 0, at most 100000.");
        }

        if (this.Agents is < 1 or > 10_000)
        {
            failures.Add($"{key}:Agents: {this.Agents} is out of range; allowed: 1 to 10000.");
        }

        if (this.ChatConcurrency is < 1 or > 20)
        {
            failures.Add($"{key}:ChatConcurrency: {this.ChatConcurrency} is out of range; allowed: 1 to 20.");
        }

        if (this.BotDeflection is < 0 or > 1)
        {
            failures.Add($"{key}:BotDeflection: {this.BotDeflection} is out of range; allowed: 0 to 1.");
        }

        SettingsRules.Duration($"{key}:Backfill", this.Backfill, failures);
        SettingsRules.Duration($"{key}:Lag", this.Lag, failures);
        Scenarios($"{key}:Surges", this.Surges, isSurge: true, failures);
        Scenarios($"{key}:Outages", this.Outages, isSurge: false, failures);
    }

    private static void Scenarios(string key, List<ScenarioSettings> scenarios, bool isSurge, List<string> failures)
    {
        for (var i = 0; i < scenarios.Count; i++)
        {
            var s = scenarios[i];
            if (!Durations.TryParseNonNegative(s.StartAfter, out _))
            {
                failures.Add($"{key}:{i}:StartAfter: '{s.StartAfter}' is not a duration; use 0s or {Durations.Syntax}.");
            }

            SettingsRules.Duration($"{key}:{i}:Duration", s.Duration, failures);
            if (isSurge && !(s.Multiplier > 0 && s.Multiplier <= 100))
            {
                failures.Add($"{key}:{i}:Multiplier: {s.Multiplier} is out of range; allowed: more than 0, at most 100.");
            }
        }
    }
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
