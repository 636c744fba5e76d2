namespace KpiCollector.Core.Records;

public static class CostCategories
{
    public const string Platform = "platform";
    public const string Staff = "staff";
    public const string Other = "other";
}

/// <summary>A cost incurred evenly over an interval (platform fees from a source; staff and fixed costs from configuration).</summary>
public sealed record CostEntry
{
    public required string Source { get; init; }
    public required string ExternalId { get; init; }
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset To { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public string Category { get; init; } = CostCategories.Platform;
}
