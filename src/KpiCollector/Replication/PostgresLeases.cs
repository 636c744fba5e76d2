using System.Collections.Concurrent;
using KpiCollector.Configuration;
using KpiCollector.Core.Time;
using KpiCollector.Metrics;
using KpiCollector.Pipeline;
using KpiCollector.Sources;
using KpiCollector.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace KpiCollector.Replication;

/// <summary>
/// Replicas on PostgreSQL share the configured sources through leases held in the database (docs/scaling.md,
/// "Leases and fencing"): a row per source in <c>source_leases</c> names its owner, the instant the lease expires
/// (database time, so replicas' clocks do not matter) and a fencing token that grows each time the lease changes
/// hands. Every third of <c>KpiCollector:Leases:Duration</c> each replica, with no coordinator:
/// <list type="number">
/// <item>marks itself alive in <c>replicas</c>;</item>
/// <item>renews the leases it holds; one it no longer holds (it expired and another replica took it) is dropped at once;</item>
/// <item>hands over the sources <see cref="SourceAssignment"/> gives to another live replica (balance);</item>
/// <item>takes the free or expired leases of the sources it is assigned, and any lease expired for longer than a
/// whole lease duration (its assigned owner is not taking it).</item>
/// </list>
/// Taking a source over loads it from the store into the engine and starts a poll at once; handing it over cancels a
/// poll in progress, drops its series and expires the lease so the next owner takes it on its next round. A commit
/// carries the lease's token (<see cref="FenceOf"/>) and the store refuses it when the lease moved on.
/// </summary>
public sealed class PostgresLeases : BackgroundService, ISourceOwnership
{
    private readonly IServiceProvider _services;
    private readonly ISchedulerFactory _schedulers;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresLeases> _logger;
    private readonly TimeSpan _duration;
    private readonly ConcurrentDictionary<string, Tenure> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SourceFence> _fences = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastRenewal;

    public PostgresLeases(
        IOptions<KpiCollectorOptions> options,
        IServiceProvider services,
        ISchedulerFactory schedulers,
        TimeProvider time,
        ILogger<PostgresLeases> logger)
    {
        _services = services;
        _schedulers = schedulers;
        _time = time;
        _logger = logger;
        _duration = Durations.Parse(options.Value.Leases.Duration);
        ReplicaId = options.Value.Leases.EffectiveReplicaId;
    }

    public bool Replicated => true;

    // Resolved when first used: the store checks this class's fences, and these depend on the store.
    private IngestPipeline Pipeline => _services.GetRequiredService<IngestPipeline>();

    private KpiRefresher Refresher => _services.GetRequiredService<KpiRefresher>();

    private PrometheusExporter Exporter => _services.GetRequiredService<PrometheusExporter>();

    private IStore Store => _services.GetRequiredService<IStore>();

    private SourceRegistry Sources => _services.GetRequiredService<SourceRegistry>();

    /// <summary>The store's pooled data source (open before any hosted service runs this class).</summary>
    private NpgsqlDataSource Db => _services.GetRequiredService<Storage.Postgres.PostgresStore>().DataSource
        ?? throw new InvalidOperationException("The store is not open.");

    public string ReplicaId { get; }

    /// <summary>How often the leases are renewed and the assignment recomputed: a third of the lease duration.</summary>
    public TimeSpan Round => _duration / 3;

    /// <summary>Completes after the first round that could take leases (tests and /readyz wait on it).</summary>
    public Task FirstRound => _firstRound.Task;

    /// <summary>Set once /readyz first answered ready; sources taken over later do not make the replica unready.</summary>
    public bool WasReady { get; set; }

    public bool Owns(string source) => _held.ContainsKey(source);

    /// <summary>The lease a commit must hold; a source this replica does not hold gets a fence no row matches.</summary>
    public SourceFence FenceOf(string source) => _fences.TryGetValue(source, out var fence) ? fence : new SourceFence(ReplicaId, -1);

    public async Task<bool> RunIfOwnedAsync(string source, Func<CancellationToken, Task> poll, CancellationToken cancellationToken)
    {
        if (!_held.TryGetValue(source, out var tenure) || !tenure.Gate.Wait(0))
        {
            return false;
        }

        try
        {
            if (tenure.Stopping.IsCancellationRequested)
            {
                return false;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tenure.Stopping.Token);
            await poll(linked.Token).ConfigureAwait(false);
            return true;
        }
        finally
        {
            tenure.Gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.ReplicaStarted(_logger, ReplicaId, _duration.TotalSeconds, Sources.Sources.Count());
        var firstRound = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RoundAsync(takeLeases: !firstRound, stoppingToken).ConfigureAwait(false);
                if (!firstRound)
                {
                    _firstRound.TrySetResult();
                }

                // The first round only says this replica is alive: replicas started together see each other before
                // any takes a lease, so none takes them all.
                firstRound = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The database is unreachable: the leases run out on their own if this goes on; the other replicas, if
                // they can reach it, take the sources over. Each commit is fenced, so nothing is written twice.
                Log.LeaseRoundFailed(_logger, ReplicaId, ex.Message);
                await DropExpiredAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(Round, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // A clean stop hands every source over at once (the others take them on their next round) and leaves the
        // replica list, rather than letting the leases run out.
        foreach (var source in _held.Keys.ToList())
        {
            await HandOverAsync(source, expire: true, "stopping").ConfigureAwait(false);
        }

        try
        {
            await using var cmd = Db.CreateCommand("DELETE FROM replicas WHERE instance = $1;");
            cmd.Parameters.AddWithValue(ReplicaId);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Log.LeaseRoundFailed(_logger, ReplicaId, ex.Message);
        }
    }

    private async Task RoundAsync(bool takeLeases, CancellationToken ct)
    {
        var live = new List<string>();
        await using (var cmd = Db.CreateCommand("""
            INSERT INTO replicas (instance, seen_at) VALUES ($1, now()) ON CONFLICT (instance) DO UPDATE SET seen_at = now();
            """))
        {
            cmd.Parameters.AddWithValue(ReplicaId);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var cmd = Db.CreateCommand("SELECT instance FROM replicas WHERE seen_at > now() - $1 ORDER BY instance;"))
        {
            cmd.Parameters.AddWithValue(_duration);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                live.Add(r.GetString(0));
            }
        }

        await RenewAsync(ct).ConfigureAwait(false);

        if (!takeLeases)
        {
            return;
        }

        var configured = Sources.Sources.Select(s => s.Name).ToList();
        var assigned = SourceAssignment.Assign(configured, live.Contains(ReplicaId) ? live : [.. live, ReplicaId]);
        foreach (var source in _fences.Keys.ToList())
        {
            if (assigned.TryGetValue(source, out var owner) && owner != ReplicaId)
            {
                Log.Rebalancing(_logger, source, ReplicaId, owner);
                await HandOverAsync(source, expire: true, $"assigned to {owner}").ConfigureAwait(false);
            }
        }

        // One read a round for the leases abandoned by their assignee (not one per source).
        var abandoned = await AbandonedAsync(ct).ConfigureAwait(false);
        foreach (var source in configured)
        {
            if (_fences.ContainsKey(source))
            {
                continue;
            }

            var mine = assigned.GetValueOrDefault(source) == ReplicaId;
            if (!mine && !abandoned.Contains(source))
            {
                continue; // another live replica is assigned this source and its lease is not abandoned
            }

            await using var cmd = Db.CreateCommand("""
                INSERT INTO source_leases (source, owner, token, expires_at) VALUES ($1, $2, 1, now() + $3)
                ON CONFLICT (source) DO UPDATE SET owner = excluded.owner, token = source_leases.token + 1, expires_at = excluded.expires_at
                WHERE source_leases.expires_at <= now() - CASE WHEN $4 THEN interval '0' ELSE $3 END
                RETURNING token;
                """);
            cmd.Parameters.AddWithValue(source);
            cmd.Parameters.AddWithValue(ReplicaId);
            cmd.Parameters.AddWithValue(_duration);
            cmd.Parameters.AddWithValue(mine);

            if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long token)
            {
                await TakeOverAsync(source, token, ct).ConfigureAwait(false);
                if (_time.GetElapsedTime(_lastRenewal) > Round / 2)
                {
                    await RenewAsync(ct).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Renews the leases this replica holds; one that cannot be renewed was taken over while this replica was away
    /// and is dropped at once. Called at each round and between takeovers, so loading large sources never lets the
    /// others run out.
    /// </summary>
    private async Task RenewAsync(CancellationToken ct)
    {
        var held = _fences.Keys.ToArray();
        _lastRenewal = _time.GetTimestamp();
        if (held.Length == 0)
        {
            return;
        }

        var renewed = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var cmd = Db.CreateCommand("""
            UPDATE source_leases SET expires_at = now() + $3
            WHERE owner = $1 AND source = ANY($2) AND expires_at > now()
            RETURNING source, token;
            """))
        {
            cmd.Parameters.AddWithValue(ReplicaId);
            cmd.Parameters.AddWithValue(held);
            cmd.Parameters.AddWithValue(_duration);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                renewed[r.GetString(0)] = r.GetInt64(1);
            }
        }

        foreach (var source in held)
        {
            if (renewed.TryGetValue(source, out var token) && token == _fences[source].Token)
            {
                if (_held.TryGetValue(source, out var tenure))
                {
                    tenure.RenewedAt = _time.GetTimestamp();
                }
            }
            else
            {
                Log.LeaseLost(_logger, source, ReplicaId);
                await HandOverAsync(source, expire: false, "lease lost").ConfigureAwait(false);
            }
        }
    }

    /// <summary>The sources whose lease has been expired for longer than a whole lease duration: abandoned, whoever they are assigned to.</summary>
    private async Task<HashSet<string>> AbandonedAsync(CancellationToken ct)
    {
        var abandoned = new HashSet<string>(StringComparer.Ordinal);
        await using var cmd = Db.CreateCommand("SELECT source FROM source_leases WHERE expires_at <= now() - $1;");
        cmd.Parameters.AddWithValue(_duration);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            abandoned.Add(r.GetString(0));
        }

        return abandoned;
    }

    private async Task TakeOverAsync(string source, long token, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        _fences[source] = new SourceFence(ReplicaId, token);
        long conversations, others;
        try
        {
            var status = Sources.StatusOf(source);
            status.Restore(Store.GetCheckpoint(source)?.Watermark);
            var configured = Sources.Get(source);
            status.Backfill.Begin(_time.GetUtcNow(), configured.BackfillSpan, status.Watermark, status.PollInterval, configured.BackfillRequestsPerMinute, status.RequestCount);
            (conversations, others) = Pipeline.Load(source, status.Watermark);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The source stays with nobody here; its lease runs out and this or another replica tries again.
            Log.TakeOverFailed(_logger, source, ReplicaId, ex);
            _fences.TryRemove(source, out _);
            Pipeline.Forget(source);
            return;
        }

        _held[source] = new Tenure(_time.GetTimestamp());
        Refresher.Refresh();
        Log.TookOver(_logger, source, ReplicaId, token, conversations, others, _time.GetElapsedTime(started).TotalMilliseconds);

        // Poll now rather than at the next firing: the source's data has waited since its last owner stopped.
        var scheduler = await _schedulers.GetScheduler(ct).ConfigureAwait(false);
        var job = new JobKey($"poll-{source}", "sources");
        if (await scheduler.CheckExists(job, ct).ConfigureAwait(false))
        {
            await scheduler.TriggerJob(job, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops polling and exporting the source: cancels a poll in progress and waits for it (a page being committed
    /// finishes under the still valid lease), drops the source's state and series, then expires the lease when the
    /// hand-over is voluntary so the next owner need not wait for it to run out.
    /// </summary>
    private async Task HandOverAsync(string source, bool expire, string why)
    {
        if (_held.TryGetValue(source, out var tenure))
        {
            await tenure.Stopping.CancelAsync().ConfigureAwait(false);
            await tenure.Gate.WaitAsync().ConfigureAwait(false);
            _held.TryRemove(source, out _);
            tenure.Gate.Release();
        }

        Pipeline.Forget(source);
        Exporter.Forget(source);
        Refresher.Refresh();
        if (_fences.TryRemove(source, out var fence) && expire)
        {
            try
            {
                await using var cmd = Db.CreateCommand("UPDATE source_leases SET expires_at = now() WHERE source = $1 AND owner = $2 AND token = $3;");
                cmd.Parameters.AddWithValue(source);
                cmd.Parameters.AddWithValue(fence.Owner);
                cmd.Parameters.AddWithValue(fence.Token);
                await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                Log.LeaseRoundFailed(_logger, ReplicaId, ex.Message); // it runs out on its own
            }
        }

        Log.HandedOver(_logger, source, ReplicaId, why);
    }

    /// <summary>While the database cannot be reached, stops the sources whose lease has surely run out by now.</summary>
    private async Task DropExpiredAsync()
    {
        foreach (var (source, tenure) in _held)
        {
            if (_time.GetElapsedTime(tenure.RenewedAt) > _duration)
            {
                await HandOverAsync(source, expire: false, "lease ran out while the database was unreachable").ConfigureAwait(false);
            }
        }
    }

    private sealed class Tenure(long renewedAt)
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public CancellationTokenSource Stopping { get; } = new();

        public long RenewedAt { get; set; } = renewedAt;
    }
}
