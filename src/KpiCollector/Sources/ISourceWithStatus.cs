namespace KpiCollector.Sources;

/// <summary>
/// A source that records more than the poller knows (requests by status code, the platform's remaining budget, its
/// version) into a <see cref="SourceStatus"/> it creates itself, because its HTTP client exists before the registry.
/// The registry adopts that status instead of creating one.
/// </summary>
public interface ISourceWithStatus : ISource
{
    SourceStatus Status { get; }
}
