using KpiCollector.Configuration;
using KpiCollector.Sources.Simulator;

namespace KpiCollector.Sources;

/// <summary>Creates the configured sources; in demo mode, one simulator source named <c>demo</c>.</summary>
public interface ISourceFactory
{
    IReadOnlyList<ISource> Create(KpiCollectorOptions options);
}

/// <summary>
/// Builds each source with its platform (<see cref="SourcePlatform.Create"/>), which takes what it needs from
/// <paramref name="services"/>: the clock, loggers, and the store's read-only open set or the WhatsApp inbox when
/// they are registered (without them a connector only polls).
/// </summary>
public sealed class SourceFactory(PlatformCatalog platforms, IServiceProvider services) : ISourceFactory
{
    public const string DemoSourceName = "demo";

    public IReadOnlyList<ISource> Create(KpiCollectorOptions options)
    {
        if (options.DemoMode)
        {
            var demo = new SourceOptions { Name = DemoSourceName, Platform = SimulatorPlatform.Id };
            return [platforms.Get(demo).Create(new SourceContext(demo, 0, options), services)];
        }

        return options.Sources.Select((s, i) => platforms.Get(s).Create(new SourceContext(s, i, options), services)).ToList();
    }
}
