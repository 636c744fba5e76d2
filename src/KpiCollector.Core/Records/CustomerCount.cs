namespace KpiCollector.Core.Records;

/// <summary>One period of a customers feed: customers at the start (S) and end (E), new (N) and lost (L) in between.</summary>
public sealed record CustomerCount
{
    public required string Source { get; init; }
    public required DateTimeOffset PeriodStart { get; init; }
    public required DateTimeOffset PeriodEnd { get; init; }
    public required long Start { get; init; }
    public required long End { get; init; }
    public required long New { get; init; }
    public required long Lost { get; init; }
}
