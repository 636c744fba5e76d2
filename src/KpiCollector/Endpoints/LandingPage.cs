using System.Globalization;
using System.Net;
using System.Text;
using KpiCollector.Metrics;
using KpiCollector.Sources;

namespace KpiCollector.Endpoints;

/// <summary>
/// The page at <c>/</c>: what this is, where the metrics are, and every configured source's state, with a progress
/// bar per source while its backfill runs. While a source is backfilling or waiting for its first poll the page
/// reloads itself every <see cref="RefreshSeconds"/> seconds (a plain meta refresh: no script).
/// </summary>
public static class LandingPage
{
    public const int RefreshSeconds = 5;

    public static void MapLandingPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/", (SourceRegistry sources, TimeProvider time) => Results.Content(Render(sources, time.GetUtcNow()), "text/html; charset=utf-8"));

    internal static string Render(SourceRegistry sources, DateTimeOffset now)
    {
        var html = new StringBuilder();
        var rows = sources.Statuses.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => (Status: s, Backfill: s.ReadBackfill(now))).ToList();
        var refresh = rows.Any(r => r.Backfill.Running || !r.Status.PolledOnce)
            ? string.Create(CultureInfo.InvariantCulture, $"<meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\">")
            : "";
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">{{refresh}}<title>KpiCollector</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}.up{color:#080}.down{color:#b00}.demo{background:#fd0;padding:.6rem;font-weight:bold}progress{width:12rem;height:1.1rem}.figures{font-size:.85rem;color:#444}</style>
            </head><body>
            <h1>KpiCollector {{Enc(PrometheusExporter.Version)}}</h1>
            <p>Customer-service KPIs from helpdesk platforms and WhatsApp, as Prometheus metrics.</p>
            """);
        if (sources.DemoMode)
        {
            html.Append("<p class=\"demo\">DEMO MODE: no source is configured; every number comes from the built-in simulator.</p>");
        }

        html.Append("""
            <ul><li><a href="metrics">/metrics</a>: the KPIs and the collector's health, for Prometheus</li>
            <li><a href="drilldown">/drilldown</a>: the conversations behind the "now" gauges (breaching, at risk, unanswered, oldest waiting), with links to each platform (<a href="api/drilldown">JSON</a>)</li>
            <li><a href="export/conversations.csv">/export/conversations.csv</a> and <a href="export/conversations.json">.json</a>: every stored conversation, one row each (filters: source, from, to)</li>
            <li><a href="healthz">/healthz</a>: alive</li><li><a href="readyz">/readyz</a>: store open and every source polled once</li></ul>
            <h2>Sources</h2>
            <table><tr><th>source</th><th>platform</th><th>state</th><th>backfill</th><th>last success</th><th>data complete up to</th><th>last error</th></tr>
            """);
        foreach (var (s, backfill) in rows)
        {
            var state = s.Up switch
            {
                true => "<span class=\"up\">up</span>",
                false => "<span class=\"down\">down</span>",
                null when backfill.Running => "backfilling (first poll)",
                null => "waiting for first poll",
            };
            var error = s.LastErrorReason is null ? "" : $"{s.LastErrorReason}: {s.LastErrorMessage}";
            var quarantined = s.QuarantinedCount == 0
                ? ""
                : string.Create(CultureInfo.InvariantCulture, $"<div class=\"down quarantined\" data-source=\"{Enc(s.Name)}\">{s.QuarantinedCount:N0} quarantined records (damaged in the store, kept out of the KPIs)</div>");
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{Enc(s.Name)}</td><td>{Enc(s.Platform)}</td><td>{state}{quarantined}</td><td>{Backfill(s.Name, backfill)}</td><td>{Ago(s.LastSuccess, now)}</td><td>{Ago(s.Watermark, now)}</td><td>{Enc(error)}</td></tr>");
        }

        html.Append("</table></body></html>\n");
        return html.ToString();
    }

    /// <summary>A progress bar and its figures while the backfill runs; how long it took once done.</summary>
    private static string Backfill(string source, BackfillSnapshot b)
    {
        var ratio = b.Ratio.ToString("0.####", CultureInfo.InvariantCulture);
        switch (b.Phase)
        {
            case BackfillPhase.Running:
                var reached = b.ReachedAt is { } at ? at.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture) : "unknown";
                return string.Create(CultureInfo.InvariantCulture,
                    $"<progress class=\"backfill\" data-source=\"{Enc(source)}\" value=\"{ratio}\" max=\"1\">{Enc(b.Percent)}</progress> <b class=\"backfill-percent\" data-source=\"{Enc(source)}\">{Enc(b.Percent)}</b>"
                    + $"<div class=\"figures\">data read up to {Enc(reached)} · {b.Records:N0} records · {b.Requests:N0} requests · running for {Enc(BackfillSnapshot.Human(b.Elapsed))} · time left: {Enc(b.EtaText)}</div>");
            case BackfillPhase.Done when b.Elapsed > TimeSpan.Zero:
                return string.Create(CultureInfo.InvariantCulture,
                    $"<progress class=\"backfill\" data-source=\"{Enc(source)}\" value=\"1\" max=\"1\">100 %</progress> done in {Enc(BackfillSnapshot.Human(b.Elapsed))}<div class=\"figures\">{b.Records:N0} records · {b.Requests:N0} requests</div>");
            case BackfillPhase.Done:
                return "not needed";
            default:
                return "not started";
        }
    }

    private static string Ago(DateTimeOffset? t, DateTimeOffset now) => t is { } v
        ? Enc(string.Create(CultureInfo.InvariantCulture, $"{v:yyyy-MM-dd HH:mm:ss}Z ({(now - v).TotalSeconds:F0} s ago)"))
        : "never";

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
