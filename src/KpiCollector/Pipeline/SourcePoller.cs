using System.Diagnostics;
using KpiCollector.Metrics;
using KpiCollector.Sources;
using KpiCollector.Storage;

namespace KpiCollector.Pipeline;

/// <summary>
/// Runs one poll of one source: each page is committed to the store with its cursor, then its changes go to the
/// engine. A failure marks the source down and keeps every value already applied: nothing is zeroed, nothing is
/// half-applied, and the next poll resumes from the last committed cursor.
/// </summary>
public sealed class SourcePoller(
    IStore store,
    IngestPipeline pipeline,
    SourceRegistry sources,
    KpiRefresher refresher,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<SourcePoller> logger,
    Replication.ISourceOwnership? ownership = null)
{
    private readonly Replication.ISourceOwnership _ownership = ownership ?? new Replication.SingleProcessOwnership();

    /// <summary>Polls the source if this process owns it (always, unless replicas share the sources: docs/scaling.md).</summary>
    public Task PollAsync(string sourceName, CancellationToken cancellationToken) =>
        _ownership.RunIfOwnedAsync(sourceName, ct => PollOwnedAsync(sourceName, ct), cancellationToken);

    private async Task PollOwnedAsync(string sourceName, CancellationToken cancellationToken)
    {
        var source = sources.Get(sourceName);
        var status = sources.StatusOf(sourceName);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var ct = linked.Token;
        var started = Stopwatch.GetTimestamp();
        var pages = 0;
        var changed = 0;
        var published = false;
        try
        {
            var cursor = store.GetCheckpoint(source.Name)?.Cursor;
            await foreach (var batch in source.PollAsync(cursor, ct).WithCancellation(ct))
            {
                var applied = pipeline.Ingest(source.Name, batch);
                status.RecordIngested(applied.Conversations.Count, applied.Surveys.Count, applied.Count - applied.Conversations.Count - applied.Surveys.Count);
                status.RecordWatermark(batch.Watermark);
                pages++;
                changed += applied.Count;
                ReportBackfill(source, status, batch);
            }

            if (changed > 0)
            {
                // Before the success is visible: once /readyz says every source was polled, /metrics shows that poll.
                refresher.Refresh();
                published = true;
            }

            status.RecordSuccess(time.GetUtcNow(), Stopwatch.GetElapsedTime(started));
            if (status.Backfill.Complete(time.GetUtcNow()))
            {
                var done = status.ReadBackfill(time.GetUtcNow());
                Log.BackfillComplete(logger, source.Name, BackfillSnapshot.Human(done.Elapsed), done.Records, done.Requests);
            }

            Log.PollSucceeded(logger, source.Name, pages, changed, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown: the pages committed so far stay; the rest is fetched again from the saved cursor next start.
            Log.PollCancelled(logger, source.Name, pages);
            return;
        }
        catch (FencedOutException ex)
        {
            // Another replica took the source over while this one was away: the page was not committed, and the
            // lease code stops this replica's polls of it (docs/scaling.md, "Leases and fencing").
            Log.PollFenced(logger, source.Name, ex.Message, pages);
            return;
        }
        catch (SourceException ex)
        {
            status.RecordFailure(time.GetUtcNow(), Stopwatch.GetElapsedTime(started), ex.Reason, ex.Message);
            Log.PollFailed(logger, source.Name, ex.Reason, ex.Message, pages);
        }
        catch (Exception ex) when (ex is TimeoutException or TaskCanceledException)
        {
            status.RecordFailure(time.GetUtcNow(), Stopwatch.GetElapsedTime(started), ErrorReasons.Timeout, ex.Message);
            Log.PollFailed(logger, source.Name, ErrorReasons.Timeout, ex.Message, pages);
        }
        catch (Exception ex)
        {
            status.RecordFailure(time.GetUtcNow(), Stopwatch.GetElapsedTime(started), ErrorReasons.Other, ex.Message);
            Log.PollCrashed(logger, source.Name, pages, ex);
        }

        if (changed > 0 && !published)
        {
            refresher.Refresh(); // new data shows on /metrics now rather than at the next refresh tick
        }
    }

    /// <summary>Moves the source's backfill progress with a committed page; at most one log line every 30 s.</summary>
    private void ReportBackfill(ISource source, SourceStatus status, Core.Records.SourceBatch batch)
    {
        var now = time.GetUtcNow();
        status.Backfill.RecordPage(now, batch.RecordCount, batch.ReadUpTo, batch.ReadBackTo, batch.Watermark);
        if (!status.Backfill.TakeLogTurn(now))
        {
            return;
        }

        var p = status.ReadBackfill(now);
        var reached = p.ReachedAt is { } at ? at.ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) : "unknown";
        Log.BackfillProgress(logger, source.Name, p.Percent, reached, p.Records, p.Requests, p.EtaText);
    }
}
