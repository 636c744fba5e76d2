using KpiCollector.Sources;
using KpiCollector.Storage;

namespace KpiCollector.Endpoints;

public static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process is alive and serving. <c>/readyz</c>: the store is open and every source has
    /// finished at least one poll (successful or not), so /metrics carries every source's state. It also lists the
    /// sources still backfilling, with how far they are and the estimated time left (null while unknown),
    /// and the sources with quarantined records (stored records that could not be read; they do not make it unready).
    /// </summary>
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (IStore store, SourceRegistry sources, Replication.ISourceOwnership ownership, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            // A replica answers for the sources it owns; the others are polled elsewhere (docs/scaling.md). It is ready
            // once it has had its first chance to take leases, even owning none (it still receives webhooks).
            // Once ready, a replica stays ready when it takes a source over (an unready pod would drop out of the
            // Service, and its scrapes and webhooks with it, exactly when its new source needs them).
            var leases = ownership as Replication.PostgresLeases;
            var waiting = leases?.WasReady == true
                ? []
                : sources.Statuses.Where(s => ownership.Owns(s.Name) && !s.PolledOnce).Select(s => s.Name).ToList();
            var leasesSettled = leases is null || leases.FirstRound.IsCompleted;
            var backfilling = sources.Statuses
                .Select(s => (s.Name, Backfill: s.ReadBackfill(now)))
                .Where(s => s.Backfill.Running)
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new
                {
                    source = s.Name,
                    percent = Math.Round(s.Backfill.Ratio * 100, 1),
                    readUpTo = s.Backfill.ReachedAt,
                    records = s.Backfill.Records,
                    requests = s.Backfill.Requests,
                    etaSeconds = s.Backfill.Eta?.TotalSeconds,
                })
                .ToList();
            var quarantined = sources.Statuses
                .Where(s => s.QuarantinedCount > 0)
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new { source = s.Name, records = s.QuarantinedCount, byKind = s.Quarantined })
                .ToList();
            var ready = store.IsOpen && leasesSettled && waiting.Count == 0;
            if (ready && leases is not null)
            {
                leases.WasReady = true;
            }

            var body = new
            {
                ready,
                store = store.IsOpen ? "open" : "closed",
                replica = ownership.Replicated ? ownership.ReplicaId : null,
                owned = ownership.Replicated ? sources.Statuses.Where(s => ownership.Owns(s.Name)).Select(s => s.Name).Order(StringComparer.Ordinal).ToList() : null,
                waitingForFirstPoll = waiting,
                backfilling,
                quarantined,
            };
            return Results.Json(body, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }
}
