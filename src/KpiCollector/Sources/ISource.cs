using KpiCollector.Core.Records;

namespace KpiCollector.Sources;

/// <summary>
/// One configured platform account. It owns its API client, paging, cursor format and the mapping onto the
/// normalized records; it returns batches and never writes the store nor touches the engine or metrics (the helpdesk
/// connectors read which conversations the store holds as open, to reconcile that set with the platform).
/// </summary>
public interface ISource
{
    string Name { get; }

    string Platform { get; }

    /// <summary>What the platform can supply as configured: the exporter leaves out what it cannot (never exports it as 0).</summary>
    SourceCapabilities Capabilities { get; }

    /// <summary>
    /// Yields the pages that follow <paramref name="cursor"/> (null before the first poll), each with the cursor to
    /// resume after it. The caller commits each page before asking for the next, so a failure mid-poll loses nothing.
    /// </summary>
    IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, CancellationToken cancellationToken);

    /// <summary>How far back the first poll reads (its backfill); null for a source that reads no history.</summary>
    TimeSpan? BackfillSpan => null;

    /// <summary>
    /// The request budget a long read of this source is paced to, in requests a minute (the tightest budget its
    /// backfill requests count against); null when it makes no paced requests. Backfill estimates use it.
    /// </summary>
    double? BackfillRequestsPerMinute => null;
}
