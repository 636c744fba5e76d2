using System.Globalization;
using System.Net;
using System.Text;
using KpiCollector.Metrics;
using KpiCollector.Sources;

namespace KpiCollector.Endpoints;

/// <summary>The page at <c>/</c>: what this is, where the metrics are, and every configured source's state.</summary>
public static class LandingPage
{
    public static void MapLandingPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/", (SourceRegistry sources, TimeProvider time) => Results.Content(Render(sources, time.GetUtcNow()), "text/html; charset=utf-8"));

    internal static string Render(SourceRegistry sources, DateTimeOffset now)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>KpiCollector</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}.up{color:#080}.down{color:#b00}.demo{background:#fd0;padding:.6rem;font-weight:bold}</style>
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
            <table><tr><th>source</th><th>platform</th><th>state</th><th>last success</th><th>data complete up to</th><th>last error</th></tr>
            """);
        foreach (var s in sources.Statuses.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var state = s.Up switch
            {
                true => "<span class=\"up\">up</span>",
                false => "<span class=\"down\">down</span>",
                null => "waiting for first poll",
            };
            var error = s.LastErrorReason is null ? "" : $"{s.LastErrorReason}: {s.LastErrorMessage}";
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{Enc(s.Name)}</td><td>{Enc(s.Platform)}</td><td>{state}</td><td>{Ago(s.LastSuccess, now)}</td><td>{Ago(s.Watermark, now)}</td><td>{Enc(error)}</td></tr>");
        }

        html.Append("</table></body></html>\n");
        return html.ToString();
    }

    private static string Ago(DateTimeOffset? t, DateTimeOffset now) => t is { } v
        ? Enc(string.Create(CultureInfo.InvariantCulture, $"{v:yyyy-MM-dd HH:mm:ss}Z ({(now - v).TotalSeconds:F0} s ago)"))
        : "never";

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
