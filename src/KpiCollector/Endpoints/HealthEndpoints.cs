using KpiCollector.Sources;
using KpiCollector.Storage;

namespace KpiCollector.Endpoints;

public static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process is alive and serving. <c>/readyz</c>: the store is open and every source has
    /// finished at least one poll (successful or not), so /metrics carries every source's state.
    /// </summary>
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (SqliteStore store, SourceRegistry sources) =>
        {
            var waiting = sources.Statuses.Where(s => !s.PolledOnce).Select(s => s.Name).ToList();
            var ready = store.IsOpen && waiting.Count == 0;
            var body = new
            {
                ready,
                store = store.IsOpen ? "open" : "closed",
                waitingForFirstPoll = waiting,
            };
            return Results.Json(body, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }
}
