using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests;

/// <summary>
/// Structural checks of grafana/dashboards, modelled on grafana/dashboard-linter's rules (template-datasource-rule,
/// panel-datasource-rule, panel-title-description-rule, panel-units-rule, panel-no-targets-rule, target-promql-rule,
/// target-rate-interval-rule, target-counter-agg-rule, template-label-promql-rule). PromQL is parsed by promtool.
/// The job/instance variable rules are not applied: KPIs are selected by source and channel, not by scrape target.
/// </summary>
public sealed partial class DashboardTests
{
    /// <summary>dashboard-linter's panel-units-rule list, trimmed to the families these dashboards may use.</summary>
    private static readonly HashSet<string> ValidUnits =
    [
        "none", "string", "short", "percent", "percentunit", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurations",
        "dtdhms", "cps", "cpm", "ops", "reqps", "rps", "wps", "iops", "opm", "rpm", "wpm", "bytes", "decbytes",
        "dateTimeAsIso", "dateTimeFromNow", "bool", "currencyUSD", "currencyEUR", "currencyGBP",
    ];

    private static readonly string[] ExpectedDashboards =
    [
        "kpicollector-ops-wall", "kpicollector-sla", "kpicollector-customer-experience", "kpicollector-channels-whatsapp",
        "kpicollector-agents-staffing", "kpicollector-collector-health",
    ];

    public static TheoryData<string> DashboardFiles() =>
        new(Directory.EnumerateFiles(Repo.DashboardsDir).Order().Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void IsValidClassicDashboardJson_WithAFixedUid(string file)
    {
        Assert.EndsWith(".json", file, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.DashboardsDir, file)));
        var root = doc.RootElement;
        var uid = root.GetProperty("uid").GetString()!;
        Assert.Matches("^[a-z0-9-]{1,40}$", uid);
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()));
        Assert.True(root.GetProperty("schemaVersion").GetInt32() >= 36, "classic JSON model (schemaVersion)");
        Assert.Equal(JsonValueKind.Array, root.GetProperty("panels").ValueKind);
        Assert.False(root.TryGetProperty("__inputs", out _), "an exported dashboard with __inputs cannot be file-provisioned");
    }

    [Fact]
    public void TheSixDashboardsShip_WithUniqueUidsAndTitles()
    {
        Assert.Equal(ExpectedDashboards.Order(), Dashboards.All.Select(d => d.Uid).Order());
        Assert.Equal(Dashboards.All.Count, Dashboards.All.Select(d => d.Title).Distinct().Count());
    }

    [Fact]
    public void PanelIds_AreUniqueWithinEachDashboard() =>
        Assert.All(Dashboards.All, d => Assert.Equal(d.Panels.Count(), d.Panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count()));

    [Fact]
    public void EachDashboard_HasOneDatasourceVariable_NamedDatasource_DefaultingToTheProvisionedPrometheus()
    {
        foreach (var d in Dashboards.All)
        {
            var ds = d.Variables.Where(v => v.GetProperty("type").GetString() == "datasource").ToList();
            Assert.True(ds.Count == 1, $"{d}: expected exactly one datasource variable");
            Assert.Equal("datasource", ds[0].GetProperty("name").GetString());
            Assert.Equal("Data source", ds[0].GetProperty("label").GetString());
            Assert.Equal("prometheus", ds[0].GetProperty("query").GetString());
            Assert.Equal(GrafanaProvisioningTests.PrometheusUid, ds[0].GetProperty("current").GetProperty("value").GetString());
        }
    }

    [Fact]
    public void EachDashboard_HasSourceAndChannelVariables_AndItsPanelsUseThem()
    {
        foreach (var d in Dashboards.All)
        {
            var names = d.Variables.Select(v => v.GetProperty("name").GetString()).ToList();
            Assert.Contains("source", names);
            Assert.Contains("channel", names);
            var exprs = d.Targets.Select(t => t.Expr).ToList();
            Assert.Contains(exprs, e => e.Contains("$source", StringComparison.Ordinal));
            Assert.Contains(exprs, e => e.Contains("$channel", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void EveryPanel_AndEveryTarget_UsesTheDatasourceVariable()
    {
        foreach (var d in Dashboards.All)
        {
            foreach (var panel in d.Panels)
            {
                Assert.True(panel.GetProperty("datasource").GetProperty("uid").GetString() is "${datasource}" or "$datasource", $"{d} / {Title(panel)}: panel datasource");
                foreach (var target in panel.GetProperty("targets").EnumerateArray())
                {
                    Assert.True(target.GetProperty("datasource").GetProperty("uid").GetString() is "${datasource}" or "$datasource", $"{d} / {Title(panel)}: target datasource");
                }
            }
        }
    }

    [Fact]
    public void EveryPanel_HasATitleADescriptionAValidUnitAndTargets()
    {
        var problems = new List<string>();
        foreach (var d in Dashboards.All)
        {
            foreach (var panel in d.Panels)
            {
                var where = $"{d} / {Title(panel)}";
                if (string.IsNullOrWhiteSpace(Title(panel)))
                {
                    problems.Add($"{where}: no title");
                }

                if (!panel.TryGetProperty("description", out var desc) || string.IsNullOrWhiteSpace(desc.GetString()))
                {
                    problems.Add($"{where}: no description");
                }

                var unit = panel.TryGetProperty("fieldConfig", out var fc) && fc.GetProperty("defaults").TryGetProperty("unit", out var u) ? u.GetString() : null;
                if (unit is null || !ValidUnits.Contains(unit))
                {
                    problems.Add($"{where}: no or invalid unit '{unit}'");
                }

                if (!panel.TryGetProperty("targets", out var targets) || targets.GetArrayLength() == 0
                    || targets.EnumerateArray().Any(t => string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString())))
                {
                    problems.Add($"{where}: no query");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void StatTiles_OnTheOpsWall_ColourTheirBackgroundFromThresholds()
    {
        var wall = Dashboards.All.Single(d => d.Uid == "kpicollector-ops-wall");
        var stats = wall.Panels.Where(p => p.GetProperty("type").GetString() == "stat").ToList();
        Assert.True(stats.Count >= 10);
        Assert.All(stats, p => Assert.Equal("background", p.GetProperty("options").GetProperty("colorMode").GetString()));
        Assert.Equal([0, 45, 60], Steps(wall, "First response, humans (p90, 1h)"));
        Assert.Equal([0, 0.8, 0.9], Steps(wall, "CSAT (24h)"));
        Assert.Equal([0, 0.6, 0.7], Steps(wall, "First contact resolution (24h)"));
        Assert.Contains(wall.Targets, t => t.Expr.Contains("kpicollector_demo_mode", StringComparison.Ordinal));
        Assert.Contains(wall.Panels, p => p.GetProperty("type").GetString() == "state-timeline");
    }

    [Fact]
    public void EveryTargetExpression_ParsesWithPromtool_AfterSubstitutingTheGrafanaVariables()
    {
        var targets = Dashboards.AllTargets.ToList();
        Assert.NotEmpty(targets);
        var unknown = targets.SelectMany(t => Dashboards.VariablesIn(t.Expr).Where(v => !Dashboards.TestValues.ContainsKey(v)).Select(v => $"{t}: ${v}")).ToList();
        Assert.True(unknown.Count == 0, "variables without a test value: " + string.Join(", ", unknown));

        var labelValueQueries = Dashboards.All.SelectMany(d => d.Variables
                .Where(v => v.GetProperty("type").GetString() == "query")
                .Select(v => (Where: $"{d.Uid} / variable {v.GetProperty("name").GetString()}", Expr: LabelValuesSelector(v.GetProperty("definition").GetString()!))));
        AssertPromtoolParses(targets.Select(t => (t.ToString(), Dashboards.Expand(t.Expr))).Concat(labelValueQueries.Select(q => (q.Where, Dashboards.Expand(q.Expr)))));
    }

    /// <summary>The check above must catch a broken expression.</summary>
    [Fact]
    public void PromtoolParseCheck_RejectsABrokenExpression()
    {
        var result = RunPromtoolCheck([("broken / panel / A", "sum(rate(kpicollector_source_errors_total[1m])")]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("broken / panel / A", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void CountersAppearOnlyUnderRateOrIncrease_AndRateIsNeverAppliedToAGauge()
    {
        var problems = Dashboards.AllTargets.SelectMany(t => PromQl.CounterProblems(Dashboards.Expand(t.Expr)).Select(p => $"{t}: {p}")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [InlineData("helpdesk_backlog_tickets", "rate(helpdesk_backlog_tickets[5m])")]
    [InlineData("kpicollector_source_errors_total", "sum(kpicollector_source_errors_total)")]
    [InlineData("kpicollector_source_errors_total", "delta(kpicollector_source_errors_total[5m])")]
    [InlineData("helpdesk_sla_breaches_total", "helpdesk_sla_breaches_total{sla=\"x\"} > 0")]
    public void CounterCheck_FlagsMisuse(string metric, string expr) =>
        Assert.Contains(PromQl.CounterProblems(expr), p => p.Contains(metric, StringComparison.Ordinal));

    [Theory]
    [InlineData("60 * sum by (sla) (rate(helpdesk_sla_breaches_total{source=~\"demo\"}[1m]))")]
    [InlineData("histogram_quantile(0.9, sum by (le) (rate(helpdesk_first_response_duration_seconds_bucket[5m])))")]
    [InlineData("time() - kpicollector_source_last_success_timestamp_seconds offset 5m")]
    [InlineData("delta(source_channel:helpdesk_backlog_tickets:sum[1h]) >= 20 and on(source) increase(x_total[5m]) > 0")]
    public void CounterCheck_AcceptsCorrectUse(string expr) => Assert.Empty(PromQl.CounterProblems(expr));

    [Fact]
    public void RateFunctions_UseRateInterval()
    {
        var problems = Dashboards.AllTargets
            .SelectMany(t => PromQl.Selectors(t.Expr).Where(s => s.Function is "rate" or "irate" && s.Range != "$__rate_interval").Select(s => $"{t}: {s.Function}({s.Metric}[{s.Range}])"))
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Dashboards_RefreshNoFasterThanTheScrapeInterval_AndAreNotEditableInTheUi()
    {
        foreach (var d in Dashboards.All)
        {
            Assert.Equal("30s", d.Json.GetProperty("refresh").GetString());
            Assert.False(d.Json.GetProperty("editable").GetBoolean(), $"{d}: provisioned dashboards are edited as files");
        }
    }

    /// <summary>
    /// The "breaching now", "at risk" and "oldest waiting" panels link to the collector's drill-down with the clicked
    /// series' labels; every label a link uses is one the panel's query keeps, and every query parameter is one the
    /// drill-down knows (EndToEnd checks that the collector answers them).
    /// </summary>
    [Theory]
    [InlineData("kpicollector-ops-wall", "Breaching now", "breaching")]
    [InlineData("kpicollector-ops-wall", "At risk", "at_risk")]
    [InlineData("kpicollector-ops-wall", "Oldest waiting", "oldest")]
    [InlineData("kpicollector-sla", "Breaching now", "breaching")]
    [InlineData("kpicollector-sla", "At risk", "at_risk")]
    public void NowPanels_LinkToTheDrilldown_WithTheClickedSeriesLabels(string uid, string title, string state)
    {
        var d = Dashboards.All.Single(x => x.Uid == uid);
        var url = d.DrilldownLinks.Where(l => Title(l.Panel) == title).Select(l => l.Url).SingleOrDefault();
        Assert.True(url is not null, $"{uid} / {title}: no data link to ${{collector_url}}/drilldown");

        var collector = d.Variables.SingleOrDefault(v => v.GetProperty("name").GetString() == "collector_url");
        Assert.True(collector.ValueKind == JsonValueKind.Object, $"{uid}: no collector_url variable");
        Assert.Equal("textbox", collector.GetProperty("type").GetString());
        Assert.Equal("http://localhost:9470", collector.GetProperty("query").GetString());

        var query = System.Web.HttpUtility.ParseQueryString(new Uri("http://collector" + url["${collector_url}".Length..]).Query);
        Assert.Equal(state, query["state"]);
        Assert.Equal("${__field.labels.source}", query["source"]);
        Assert.All(query.AllKeys, k => Assert.Contains(k!, KpiCollector.Endpoints.DrilldownQuery.Parameters));
        if (state != "oldest")
        {
            Assert.Equal("${__field.labels.sla}", query["sla"]);
        }

        // A label the link reads must survive the panel's aggregation; the dashboard's channel variable stands in otherwise.
        var expr = d.Targets.First(t => t.Panel == title).Expr;
        var by = ByClause().Match(expr);
        foreach (Match label in FieldLabel().Matches(url))
        {
            Assert.True(!by.Success || by.Groups["labels"].Value.Split(',').Select(l => l.Trim()).Contains(label.Groups["label"].Value),
                $"{uid} / {title}: the link uses label {label.Groups["label"].Value}, which `{expr}` drops");
        }
    }

    internal static void AssertPromtoolParses(IEnumerable<(string Where, string Expr)> exprs)
    {
        var list = exprs.ToList();
        var result = RunPromtoolCheck(list);
        Assert.True(result.ExitCode == 0, $"promtool rejected a dashboard query:\n{result.Output}");
        Assert.Contains($"SUCCESS: {list.Count} rules found", result.Output, StringComparison.Ordinal);
    }

    /// <summary>Each expression becomes a recording rule in its own group named after its panel, so promtool's error names it.</summary>
    private static Cli.Result RunPromtoolCheck(IReadOnlyList<(string Where, string Expr)> exprs)
    {
        using var dir = new TempDirectory();
        var yaml = new StringBuilder("groups:\n");
        for (var i = 0; i < exprs.Count; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - name: {JsonSerializer.Serialize(exprs[i].Where)}\n    rules:\n      - record: dashboard_lint:query_{i}:check\n        expr: {JsonSerializer.Serialize(exprs[i].Expr)}\n");
        }

        var file = dir.File("dashboard-queries.yaml");
        File.WriteAllText(file, yaml.ToString());
        return Cli.Run("promtool", ["check", "rules", file]);
    }

    private static string LabelValuesSelector(string definition)
    {
        var m = LabelValues().Match(definition);
        Assert.True(m.Success, $"variable query '{definition}' is not label_values(selector, label)");
        return m.Groups["selector"].Value;
    }

    private static string Title(JsonElement panel) => panel.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";

    private static double[] Steps(Dashboard d, string title) =>
        d.Panels.Single(p => Title(p) == title).GetProperty("fieldConfig").GetProperty("defaults").GetProperty("thresholds").GetProperty("steps")
            .EnumerateArray().Select(s => s.GetProperty("value").ValueKind == JsonValueKind.Null ? 0 : s.GetProperty("value").GetDouble()).ToArray();

    [GeneratedRegex(@"\bby \((?<labels>[^)]*)\)")]
    private static partial Regex ByClause();

    [GeneratedRegex(@"\$\{__field\.labels\.(?<label>\w+)\}")]
    private static partial Regex FieldLabel();

    [GeneratedRegex(@"^label_values\((?<selector>.+),\s*(?<label>\w+)\)$")]
    private static partial Regex LabelValues();
}
