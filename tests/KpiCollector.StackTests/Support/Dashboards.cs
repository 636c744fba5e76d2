using System.Text.Json;
using System.Text.RegularExpressions;

namespace KpiCollector.StackTests.Support;

internal sealed record Dashboard(string File, JsonElement Json)
{
    public string Uid => Json.GetProperty("uid").GetString()!;

    public string Title => Json.GetProperty("title").GetString()!;

    /// <summary>Every panel, including panels nested in collapsed rows.</summary>
    public IEnumerable<JsonElement> Panels => Flatten(Json.TryGetProperty("panels", out var p) ? p : default);

    public IEnumerable<JsonElement> Variables =>
        Json.TryGetProperty("templating", out var t) && t.TryGetProperty("list", out var l) ? l.EnumerateArray() : [];

    public IEnumerable<DashboardTarget> Targets =>
        from panel in Panels
        where panel.TryGetProperty("targets", out _)
        from target in panel.GetProperty("targets").EnumerateArray()
        select new DashboardTarget(this, panel.GetProperty("title").GetString() ?? "", target.GetProperty("refId").GetString() ?? "",
            target.TryGetProperty("expr", out var e) ? e.GetString() ?? "" : "");

    /// <summary>The data links of every panel that point at the collector's drill-down: (panel, link title, URL template).</summary>
    public IEnumerable<(JsonElement Panel, string Title, string Url)> DrilldownLinks =>
        from panel in Panels
        where panel.TryGetProperty("fieldConfig", out var fc) && fc.GetProperty("defaults").TryGetProperty("links", out _)
        from link in panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("links").EnumerateArray()
        let url = link.GetProperty("url").GetString() ?? ""
        where url.StartsWith("${collector_url}/drilldown", StringComparison.Ordinal)
        select (panel, link.GetProperty("title").GetString() ?? "", url);

    public override string ToString() => System.IO.Path.GetFileName(File);

    private static IEnumerable<JsonElement> Flatten(JsonElement panels)
    {
        if (panels.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in Flatten(nested))
                {
                    yield return inner;
                }
            }
        }
    }
}

internal sealed record DashboardTarget(Dashboard Dashboard, string Panel, string RefId, string Expr)
{
    public override string ToString() => $"{Dashboard.Uid} / {Panel} / {RefId}";
}

/// <summary>The shipped dashboards of grafana/dashboards and the Grafana variables their queries use.</summary>
internal static partial class Dashboards
{
    /// <summary>Concrete values for the variables, as Grafana would substitute them (multi-value "All" as its allValue).</summary>
    public static IReadOnlyDictionary<string, string> TestValues { get; } = new Dictionary<string, string>
    {
        ["source"] = "demo",
        ["channel"] = "all",
        ["sla"] = ".+",
        ["__rate_interval"] = "1m",
        ["__interval"] = "30s",
        ["__range"] = "1h",
        ["__range_s"] = "3600",
    };

    public static IReadOnlyList<Dashboard> All { get; } = Directory.EnumerateFiles(Repo.DashboardsDir, "*.json").Order()
        .Select(f => new Dashboard(f, JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone()))
        .ToList();

    public static IEnumerable<DashboardTarget> AllTargets => All.SelectMany(d => d.Targets);

    /// <summary>Replaces $var, ${var}, ${var:format} and [[var]] by <paramref name="values"/>; unknown variables are left as they are.</summary>
    public static string Expand(string expr, IReadOnlyDictionary<string, string>? values = null)
    {
        values ??= TestValues;
        return Variable().Replace(expr, m =>
        {
            var name = m.Groups["a"].Success ? m.Groups["a"].Value : m.Groups["b"].Success ? m.Groups["b"].Value : m.Groups["c"].Value;
            return values.TryGetValue(name, out var value) ? value : m.Value;
        });
    }

    public static IEnumerable<string> VariablesIn(string expr) =>
        Variable().Matches(expr).Select(m => m.Groups["a"].Success ? m.Groups["a"].Value : m.Groups["b"].Success ? m.Groups["b"].Value : m.Groups["c"].Value);

    [GeneratedRegex(@"\$\{(?<a>\w+)(?::\w+)?\}|\$(?<b>\w+)|\[\[(?<c>\w+)\]\]")]
    private static partial Regex Variable();
}
