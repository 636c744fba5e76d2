using KpiCollector.Checks;
using KpiCollector.Configuration;

namespace KpiCollector.Sources.Simulator;

/// <summary>
/// The built-in traffic simulation (docs/sources.md, "The traffic model"): a source of its own with
/// <c>KpiCollector:Sources:N:Simulator</c>, else the traffic model of <c>KpiCollector:Simulator</c>; also the demo
/// source when no source is configured.
/// </summary>
public sealed class SimulatorPlatform : SourcePlatform
{
    public const string Id = "simulator";

    public override string Name => Id;

    public override string SettingsSection => "Simulator";

    public override Type SettingsType => typeof(SimulatorSettings);

    public override bool IsRemote => false;

    /// <summary>No section: null, so the source falls back to <c>KpiCollector:Simulator</c>.</summary>
    public override object? BindSettings(IConfigurationSection section) =>
        section.Exists() ? section.Get<SimulatorSettings>() ?? new SimulatorSettings() : null;

    public override void Validate(SourceContext source, List<string> failures)
    {
        if (source.Options.Settings is SimulatorSettings own)
        {
            own.Validate($"{source.Key}:Simulator", failures);
        }
    }

    public override ISource Create(SourceContext source, IServiceProvider services) =>
        new SimulatorSource(source.Options.Name, TrafficModel(source), services.GetRequiredService<TimeProvider>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken)
    {
        check.Target = "built-in simulation";
        check.Reachable = true;
        check.Notes.Add($"simulated traffic (seed {TrafficModel(source).Seed}): always pollable, nothing to ask");
        return Task.CompletedTask;
    }

    private static SimulatorSettings TrafficModel(SourceContext source) =>
        source.Options.Settings as SimulatorSettings ?? source.Configuration.Simulator;
}
