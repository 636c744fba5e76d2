using KpiCollector.Storage;

namespace KpiCollector.Replication;

/// <summary>
/// Which configured sources this process polls and exports. One process owns every source; replicas on PostgreSQL
/// share them through leases, each source owned by one replica at a time (docs/scaling.md, "Leases and fencing").
/// As <see cref="ISourceFences"/> it gives the store the fence a commit of a source's page must still hold.
/// </summary>
public interface ISourceOwnership : ISourceFences
{
    /// <summary>True when the sources are shared with other replicas through leases.</summary>
    bool Replicated { get; }

    /// <summary>This replica's id (<c>KpiCollector:Leases:ReplicaId</c>), the lease owner it writes.</summary>
    string ReplicaId { get; }

    /// <summary>True while this process owns the source: it polls it and exports its series.</summary>
    bool Owns(string source);

    /// <summary>
    /// Runs <paramref name="poll"/> when this process owns the source and no hand-over of it is under way; the
    /// token passed to it is cancelled when the source is handed over. False when the poll did not run.
    /// </summary>
    Task<bool> RunIfOwnedAsync(string source, Func<CancellationToken, Task> poll, CancellationToken cancellationToken);
}

/// <summary>One process, every source: today's default (SQLite), with no lease and no fence.</summary>
public sealed class SingleProcessOwnership : ISourceOwnership
{
    public bool Replicated => false;

    public string ReplicaId { get; } = Environment.MachineName;

    public bool Owns(string source) => true;

    public SourceFence? FenceOf(string source) => null;

    public async Task<bool> RunIfOwnedAsync(string source, Func<CancellationToken, Task> poll, CancellationToken cancellationToken)
    {
        await poll(cancellationToken).ConfigureAwait(false);
        return true;
    }
}
