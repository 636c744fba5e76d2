namespace KpiCollector.Storage;

/// <summary>
/// The lease a replica must still hold for a commit of one source's page to go in: its owner and its fencing token
/// (a number that grows each time the lease changes hands). Checked inside the commit's transaction, so a replica that
/// lost its lease (paused, cut off, slow) cannot write a page after another replica took the source over
/// (docs/scaling.md, "Leases and fencing").
/// </summary>
public sealed record SourceFence(string Owner, long Token);

/// <summary>The fences a store checks in its commits; <c>null</c> for a source means no lease is needed (one process).</summary>
public interface ISourceFences
{
    SourceFence? FenceOf(string source);
}

/// <summary>No fences: one process owns every source (SQLite, or PostgreSQL without replicas in tests).</summary>
public sealed class NoFences : ISourceFences
{
    public static readonly NoFences Instance = new();

    public SourceFence? FenceOf(string source) => null;
}

/// <summary>A commit refused because the replica no longer holds the source's lease; nothing of the page was written.</summary>
public sealed class FencedOutException(string source, SourceFence fence)
    : InvalidOperationException($"source '{source}': the lease held by '{fence.Owner}' with token {fence.Token} is no longer current; the page was not committed")
{
    public string SourceName { get; } = source;

    public SourceFence Fence { get; } = fence;
}
