namespace KpiCollector.Sources;

/// <summary>The configured sources and their status, built once at start.</summary>
/// <remarks>Disposed with the host, after the scheduler stopped: disposes the sources that hold resources (HTTP clients).</remarks>
public sealed class SourceRegistry : IDisposable
{
    private readonly Dictionary<string, (ISource Source, SourceStatus Status)> _byName;

    public SourceRegistry(IEnumerable<ISource> sources, bool demoMode)
    {
        _byName = sources.ToDictionary(s => s.Name, s => (s, (s as ISourceWithStatus)?.Status ?? new SourceStatus(s.Name, s.Platform)), StringComparer.Ordinal);
        DemoMode = demoMode;
    }

    /// <summary>True when the collector runs on simulated data because no source is configured.</summary>
    public bool DemoMode { get; }

    public IEnumerable<ISource> Sources => _byName.Values.Select(v => v.Source);

    public IEnumerable<SourceStatus> Statuses => _byName.Values.Select(v => v.Status);

    public ISource Get(string name) => _byName[name].Source;

    public SourceStatus StatusOf(string name) => _byName[name].Status;

    public SourceStatus? TryStatusOf(string name) => _byName.TryGetValue(name, out var entry) ? entry.Status : null;

    /// <summary>What the source can supply; null for a name that is not configured (records left in the store by a removed source).</summary>
    public SourceCapabilities? TryCapabilitiesOf(string name) => _byName.TryGetValue(name, out var entry) ? entry.Source.Capabilities : null;

    public void Dispose()
    {
        foreach (var source in Sources.OfType<IDisposable>())
        {
            source.Dispose();
        }
    }
}
