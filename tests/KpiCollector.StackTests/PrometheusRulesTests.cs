using System.Globalization;
using System.Text.RegularExpressions;
using KpiCollector.StackTests.Support;
using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests;

/// <summary>The shipped Prometheus configuration and rules, checked and unit-tested with Debian's promtool.</summary>
public sealed partial class PrometheusRulesTests
{
    public static TheoryData<string> RuleTestFiles() =>
        new(Directory.EnumerateFiles(Repo.RuleTestsDir, "*_test.yaml").Order().Select(Path.GetFileName)!);

    [Fact]
    public void PromtoolCheckConfig_AcceptsPrometheusYml_ItsRuleFilesAndTargetFiles()
    {
        var result = Cli.Run("promtool", ["check", "config", Repo.PrometheusConfig]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("is valid prometheus config file syntax", result.Output, StringComparison.Ordinal);
        Assert.Contains($"SUCCESS: {Rules.Files.Count()} rule files found", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void PromtoolCheckRules_AcceptsEveryRuleFile()
    {
        var result = Cli.Run("promtool", ["check", "rules", .. Rules.Files]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Rules.Files.Count(), Regex.Matches(result.Output, "SUCCESS: \\d+ rules found").Count);
    }

    [Theory]
    [MemberData(nameof(RuleTestFiles))]
    public void PromtoolTestRules_Passes(string file)
    {
        var result = Cli.Run("promtool", ["test", "rules", Path.Combine(Repo.RuleTestsDir, file)], workingDirectory: Repo.RuleTestsDir);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    /// <summary>A broken rule must make the unit tests fail: proves they really evaluate the shipped rules.</summary>
    [Fact]
    public void PromtoolTestRules_FailsWhenAShippedThresholdChanges()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("rules"));
        Directory.CreateDirectory(dir.File("tests"));
        File.Copy(Repo.RecordingRules, dir.File("rules/kpicollector_rules.yaml"));
        File.WriteAllText(dir.File("rules/kpicollector_alerts.yaml"),
            File.ReadAllText(Repo.AlertRules).Replace("fleet:helpdesk_sla_outcomes:last2m{window=\"1h\"} >= 20", "fleet:helpdesk_sla_outcomes:last2m{window=\"1h\"} >= 200", StringComparison.Ordinal));
        File.Copy(Path.Combine(Repo.RuleTestsDir, "sla_alerts_test.yaml"), dir.File("tests/sla_alerts_test.yaml"));

        var result = Cli.Run("promtool", ["test", "rules", dir.File("tests/sla_alerts_test.yaml")], workingDirectory: dir.File("tests"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("page tier fires when both the 1h and the 5m burn rates exceed 14.4", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryAlert_HasUnitTestsWhereItFires_ForEachSeverity_AndWhereItStaysQuiet()
    {
        var cases = RuleTestCases().ToList();
        Assert.NotEmpty(Rules.Alerts);
        foreach (var alert in Rules.Alerts.GroupBy(a => a.Name))
        {
            var firing = cases.Where(c => c.AlertName == alert.Key && c.Expected.Count > 0).ToList();
            var quiet = cases.Where(c => c.AlertName == alert.Key && c.Expected.Count == 0).ToList();
            Assert.True(firing.Count > 0, $"no promtool test expects {alert.Key} to fire");
            foreach (var severity in alert.Select(a => a.Labels["severity"]))
            {
                Assert.True(firing.Any(c => c.Expected.Contains(severity)), $"no promtool test expects {alert.Key} to fire with severity {severity}");
            }

            if (alert.Key != "KpiCollectorWatchdog") // always fires, by design
            {
                Assert.True(quiet.Count >= 2, $"{alert.Key} needs promtool tests where it stays quiet (normal values, low volume, absent data): found {quiet.Count}");
            }
        }
    }

    [Fact]
    public void EveryRecordingRule_IsEvaluatedByAUnitTest()
    {
        var tested = Directory.EnumerateFiles(Repo.RuleTestsDir, "*_test.yaml")
            .SelectMany(f => Yaml.Load(f).Maps("tests"))
            .SelectMany(t => t.Maps("promql_expr_test"))
            .Select(e => e.Str("expr")!.Trim())
            .ToHashSet();
        Assert.All(Rules.Recordings, r => Assert.True(tested.Contains(r.Name), $"no promql_expr_test evaluates {r.Name}"));
    }

    [Fact]
    public void RecordingRules_AreNamedLevelMetricOperations()
    {
        Assert.NotEmpty(Rules.Recordings);
        foreach (var rule in Rules.Recordings)
        {
            var m = RecordingName().Match(rule.Name);
            Assert.True(m.Success, $"{rule.Name} is not level:metric:operations");
            Assert.False(m.Groups["metric"].Value.EndsWith("_total", StringComparison.Ordinal), $"{rule.Name}: drop _total from the metric part under rate()");
            if (rule.Expr.Contains("rate(", StringComparison.Ordinal))
            {
                Assert.Matches("rate\\d+[smhd]$", rule.Name);
            }
        }
    }

    [Fact]
    public void Rules_NeverRateAGauge_NorUseACounterWithoutRate()
    {
        var problems = Rules.Recordings.Select(r => (r.Name, r.Expr)).Concat(Rules.Alerts.Select(a => (a.Name, a.Expr)))
            .SelectMany(r => PromQl.CounterProblems(r.Expr).Select(p => $"{r.Name}: {p}"))
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void SlaRules_ReadTheObjectiveFromTheCollector_NoTargetIsHardCoded()
    {
        var sla = Rules.Recordings.Where(r => r.Name.Contains("helpdesk_sla", StringComparison.Ordinal)).Select(r => (r.Name, r.Expr))
            .Concat(Rules.Alerts.Where(a => a.Name.StartsWith("HelpdeskSla", StringComparison.Ordinal)).Select(a => (a.Name, a.Expr)));
        foreach (var (name, expr) in sla)
        {
            // Burn factors (14.4, 6, 3, 1) and volume guards (20, 5) are whole numbers or 14.4; an objective would be a fraction.
            var fractions = Regex.Matches(expr, @"(?<![\w.])0\.\d+").Select(m => m.Value).ToList();
            Assert.True(fractions.Count == 0, $"{name} hard-codes {string.Join(", ", fractions)}; read helpdesk_sla_objective_ratio instead");
        }

        Assert.Contains("helpdesk_sla_objective_ratio", Rules.Recordings.Single(r => r.Name == "source_channel_sla:helpdesk_sla_error_budget_burn:ratio").Expr, StringComparison.Ordinal);
        Assert.Contains("helpdesk_sla_objective_ratio", Rules.Alerts.Single(a => a.Name == "HelpdeskSlaBreachingNow").Expr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("critical", "1h", "5m", "14.4")]
    [InlineData("critical", "6h", "30m", "6")]
    [InlineData("warning", "1d", "2h", "3")]
    [InlineData("warning", "3d", "6h", "1")]
    public void BurnRateAlerts_PairALongAndAShortWindowOverTheSameFactor_WithAVolumeGuardOnTheLongWindow(string severity, string longWindow, string shortWindow, string factor)
    {
        var expr = Rules.Alerts.Single(a => a.Name == "HelpdeskSlaErrorBudgetBurn" && a.Labels["severity"] == severity).Expr;
        var normalized = Regex.Replace(expr, "\\s+", " ");
        Assert.Contains($"source_channel_sla:helpdesk_sla_error_budget_burn:ratio{{window=\"{longWindow}\"}} > {factor})", normalized, StringComparison.Ordinal);
        Assert.Contains($"source_channel_sla:helpdesk_sla_error_budget_burn:ratio{{window=\"{shortWindow}\"}} > {factor})", normalized, StringComparison.Ordinal);
        Assert.Contains($"fleet:helpdesk_sla_outcomes:last2m{{window=\"{longWindow}\"}} >= 20", normalized, StringComparison.Ordinal);
    }

    [Fact]
    public void PrometheusYml_ScrapesEvery30sWithATimeoutWellUnder_ASampleLimit_TheRulesAndAlertmanager()
    {
        var root = Yaml.Load(Repo.PrometheusConfig);
        var global = root.Map("global");
        Assert.Equal("30s", global.Str("scrape_interval"));
        Assert.True(Seconds(global.Str("scrape_timeout")!) <= Seconds(global.Str("scrape_interval")!) / 2, "scrape_timeout must be well under scrape_interval");

        var jobs = root.Maps("scrape_configs").ToDictionary(j => j.Str("job_name")!);
        var collector = jobs["kpicollector"];
        Assert.Equal(["kpicollector:9470"], collector.Maps("static_configs").SelectMany(s => s.Strings("targets")));
        var collectorJobs = jobs.Where(j => j.Key.StartsWith("kpicollector", StringComparison.Ordinal)).Select(j => j.Value).ToList();
        Assert.Equal(3, collectorJobs.Count); // the compose collector, the file-discovered ones, the replicas (DNS)
        Assert.All(collectorJobs, j => Assert.True(int.Parse(j.Str("sample_limit") ?? "0", CultureInfo.InvariantCulture) > 0, $"{j.Str("job_name")} needs a sample_limit"));

        var fileSd = collectorJobs.Single(j => j.Get("file_sd_configs") is not null);
        var patterns = fileSd.Maps("file_sd_configs").SelectMany(f => f.Strings("files")).ToList();
        Assert.All(patterns, p => Assert.StartsWith("targets/", p, StringComparison.Ordinal));
        Assert.Contains(patterns, p => Directory.EnumerateFiles(Repo.File("prometheus", "targets"), Path.GetFileName(p)).Any());

        Assert.Equal(
            Rules.Files.Select(f => Path.GetRelativePath(Repo.PrometheusDir, f)).Order(),
            root.Strings("rule_files").Order());
        Assert.Equal(["alertmanager:9093"], root.Map("alerting").Maps("alertmanagers").SelectMany(a => a.Maps("static_configs")).SelectMany(s => s.Strings("targets")));
    }

    [Fact]
    public void FileSdExample_IsAListOfTargetGroups_WithTargetsAndLabels()
    {
        var files = Directory.EnumerateFiles(Repo.File("prometheus", "targets"), "kpicollector-*.yaml").ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var groups = Yaml.LoadSequence(file).Children.Cast<YamlMappingNode>().ToList();
            Assert.NotEmpty(groups);
            Assert.All(groups, g =>
            {
                Assert.IsType<YamlSequenceNode>(g.Get("targets"));
                Assert.IsType<YamlMappingNode>(g.Get("labels"));
            });
        }
    }

    private sealed record RuleTestCase(string File, string AlertName, IReadOnlyList<string> Expected);

    /// <summary>Every alert_rule_test of prometheus/tests, with the severities of the alerts it expects (empty: must stay quiet).</summary>
    private static IEnumerable<RuleTestCase> RuleTestCases() =>
        from file in Directory.EnumerateFiles(Repo.RuleTestsDir, "*_test.yaml")
        from test in Yaml.Load(file).Maps("tests")
        from alertTest in test.Maps("alert_rule_test")
        select new RuleTestCase(Path.GetFileName(file), alertTest.Str("alertname")!,
            alertTest.Maps("exp_alerts").Select(e => e.Get("exp_labels") is YamlMappingNode l ? l.Str("severity") ?? "" : "").ToList());

    private static double Seconds(string duration) =>
        double.Parse(duration[..^1], CultureInfo.InvariantCulture) * duration[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => throw new FormatException(duration) };

    [GeneratedRegex("^(?<level>[a-z][a-z0-9_]*):(?<metric>[a-z][a-z0-9_]*):(?<ops>[a-z][a-z0-9_]*)$")]
    private static partial Regex RecordingName();
}
