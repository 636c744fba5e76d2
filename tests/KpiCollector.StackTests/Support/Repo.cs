namespace KpiCollector.StackTests.Support;

/// <summary>Paths of the repository the tests were built from: the files they check are the shipped ones.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PrometheusDir => Path.Combine(Root, "prometheus");

    public static string PrometheusConfig => Path.Combine(PrometheusDir, "prometheus.yml");

    public static string AlertmanagerConfig => Path.Combine(PrometheusDir, "alertmanager.yml");

    public static string RulesDir => Path.Combine(PrometheusDir, "rules");

    public static string RuleTestsDir => Path.Combine(PrometheusDir, "tests");

    public static string AlertRules => Path.Combine(RulesDir, "kpicollector_alerts.yaml");

    public static string RecordingRules => Path.Combine(RulesDir, "kpicollector_rules.yaml");

    public static string DashboardsDir => Path.Combine(Root, "grafana", "dashboards");

    public static string Runbooks => Path.Combine(Root, "docs", "runbooks.md");

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "KpiCollector.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"KpiCollector.sln not found above {AppContext.BaseDirectory}");
    }
}
