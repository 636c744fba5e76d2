namespace KpiCollector.Core.Records;

/// <summary>What the store did with one record: the version it replaced (null for a new record) and the new one.</summary>
public readonly record struct RecordChange<T>(T? Old, T New)
    where T : class;
