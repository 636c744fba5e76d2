using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests;

/// <summary>grafana/provisioning: the datasources the dashboards expect, and a file provider for the dashboards.</summary>
public sealed class GrafanaProvisioningTests
{
    public const string PrometheusUid = "kpicollector-prometheus";

    [Fact]
    public void Datasource_IsPrometheus_WithThePinnedUid_AndTheScrapeIntervalAsTimeInterval()
    {
        var files = Directory.EnumerateFiles(Repo.File("grafana", "provisioning", "datasources"), "*.yaml").ToList();
        var datasources = files.SelectMany(f => Yaml.Load(f).Maps("datasources")).ToList();
        var prometheus = Assert.Single(datasources, d => d.Str("type") == "prometheus");
        Assert.Equal(PrometheusUid, prometheus.Str("uid"));
        Assert.Equal("http://prometheus:9090", prometheus.Str("url"));
        Assert.Equal("proxy", prometheus.Str("access"));

        var scrapeInterval = Yaml.Load(Repo.PrometheusConfig).Map("global").Str("scrape_interval");
        Assert.Equal(scrapeInterval, prometheus.Map("jsonData").Str("timeInterval"));

        var alertmanager = Assert.Single(datasources, d => d.Str("type") == "alertmanager");
        Assert.Equal(alertmanager.Str("uid"), prometheus.Map("jsonData").Str("alertmanagerUid"));
        Assert.Equal("http://alertmanager:9093", alertmanager.Str("url"));
    }

    [Fact]
    public void DashboardProvider_LoadsTheDashboardFolderFromWhereComposeMountsIt()
    {
        var provider = Assert.Single(Yaml.Load(Repo.File("grafana", "provisioning", "dashboards", "kpicollector.yaml")).Maps("providers"));
        Assert.Equal("file", provider.Str("type"));
        Assert.Equal("false", provider.Str("allowUiUpdates"));
        Assert.False(string.IsNullOrEmpty(provider.Str("folderUid")));
        var path = provider.Map("options").Str("path");

        var grafana = Yaml.Load(Repo.File("docker-compose.yml")).Map("services").Map("grafana");
        var mounts = grafana.Strings("volumes").ToList();
        Assert.Contains($"./grafana/dashboards:{path}:ro", mounts);
        Assert.Contains("./grafana/provisioning:/etc/grafana/provisioning:ro", mounts);
        var home = grafana.Map("environment").Str("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")!;
        Assert.StartsWith(path + "/", home, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Repo.DashboardsDir, Path.GetFileName(home))), $"the home dashboard {home} is not in grafana/dashboards");
    }
}
