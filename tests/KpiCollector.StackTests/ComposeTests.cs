using System.Text.RegularExpressions;
using KpiCollector.StackTests.Support;
using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests;

/// <summary>docker-compose.yml (validated with Debian's docker-compose; no Docker engine here) and the Dockerfile.</summary>
public sealed partial class ComposeTests
{
    [Fact]
    public void DockerComposeConfig_AcceptsTheFile()
    {
        var result = Cli.Run("docker-compose", ["--file", Repo.File("docker-compose.yml"), "config", "--quiet"]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void Services_AreTheCollectorPrometheusAlertmanagerAndGrafana_WithPinnedImages()
    {
        var result = Cli.Run("docker-compose", ["--file", Repo.File("docker-compose.yml"), "config"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var resolved = new YamlStream();
        resolved.Load(new StringReader(result.Output));
        var services = ((YamlMappingNode)resolved.Documents[0].RootNode).Map("services");
        var byDefault = services.Children.Where(s => ((YamlMappingNode)s.Value).Get("profiles") is null).Select(s => ((YamlScalarNode)s.Key).Value);

        Assert.Equal(["alertmanager", "grafana", "kpicollector", "prometheus", "simulator"], byDefault.Order());
        foreach (var name in new[] { "prometheus", "alertmanager", "grafana" })
        {
            var image = services.Map(name).Str("image")!;
            Assert.Matches(@"^[a-z0-9./-]+:v?\d+\.\d+\.\d+$", image);
        }

        Assert.NotNull(services.Map("kpicollector").Get("build"));
        Assert.Equal("simulator", services.Map("simulator").Map("build").Str("target"));
    }

    [Fact]
    public void Volumes_NamedForTheStoreAndTheTsdb_ConfigurationMountedReadOnly()
    {
        var root = Yaml.Load(Repo.File("docker-compose.yml"));
        var services = root.Map("services");
        var named = root.Map("volumes").Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!).ToHashSet();

        var store = services.Map("kpicollector").Strings("volumes").Single();
        Assert.Contains(store.Split(':')[0], named);
        Assert.Equal(store.Split(':')[1], Path.GetDirectoryName(services.Map("kpicollector").Map("environment").Str("KPICOLLECTOR__STORE__PATH")));

        var prometheus = services.Map("prometheus").Strings("volumes").ToList();
        Assert.Contains("./prometheus:/etc/prometheus:ro", prometheus);
        Assert.Contains(prometheus, v => named.Contains(v.Split(':')[0]) && v.EndsWith(":/prometheus", StringComparison.Ordinal));
        Assert.Contains("--storage.tsdb.path=/prometheus", services.Map("prometheus").Strings("command"));
        Assert.Contains("--config.file=/etc/prometheus/prometheus.yml", services.Map("prometheus").Strings("command"));
        Assert.Contains("--enable-feature=exemplar-storage", services.Map("prometheus").Strings("command")); // the histogram's conversation ids

        Assert.Contains("./prometheus/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro", services.Map("alertmanager").Strings("volumes"));

        // Every bind-mounted file or folder exists in the repository.
        foreach (var mount in services.Children.Values.Cast<YamlMappingNode>().SelectMany(s => s.Strings("volumes")).Where(v => v.StartsWith("./", StringComparison.Ordinal)))
        {
            var local = Repo.File(mount.Split(':')[0][2..]);
            Assert.True(File.Exists(local) || Directory.Exists(local), $"{mount}: {local} does not exist");
        }
    }

    /// <summary>The `replicas` profile: PostgreSQL and two collectors on it with their own replica ids, found by Prometheus through their network alias.</summary>
    [Fact]
    public void TheReplicasProfile_RunsTwoCollectorsOnPostgres_WhichPrometheusDiscovers()
    {
        var result = Cli.Run("docker-compose", ["--file", Repo.File("docker-compose.yml"), "--profile", "replicas", "config"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var resolved = new YamlStream();
        resolved.Load(new StringReader(result.Output));
        var services = ((YamlMappingNode)resolved.Documents[0].RootNode).Map("services");

        var replicas = new[] { "kpicollector-a", "kpicollector-b" }.Select(services.Map).ToList();
        Assert.All(replicas, r => Assert.Equal("postgres", r.Map("environment").Str("KPICOLLECTOR__STORE__PROVIDER")));
        Assert.Equal(["kpicollector-a", "kpicollector-b"], replicas.Select(r => r.Map("environment").Str("KPICOLLECTOR__LEASES__REPLICAID")));
        Assert.All(replicas, r => Assert.DoesNotContain("Password", r.Map("environment").Str("KPICOLLECTOR__STORE__CONNECTIONSTRING")!, StringComparison.OrdinalIgnoreCase));
        Assert.All(replicas, r => Assert.Contains("kpicollector-replicas", r.Map("networks").Map("default").Strings("aliases")));
        Assert.Equal(replicas[0].Map("environment").Str("KPICOLLECTOR__SOURCES__3__NAME"), replicas[1].Map("environment").Str("KPICOLLECTOR__SOURCES__3__NAME"));
        Assert.Equal("replicas", services.Map("postgres").Strings("profiles").Single());
        Assert.NotNull(services.Map("postgres").Get("healthcheck"));

        var job = Yaml.Load(Repo.PrometheusConfig).Maps("scrape_configs").Single(j => j.Str("job_name") == "kpicollector-replicas");
        Assert.Equal("kpicollector-replicas", job.Maps("dns_sd_configs").Single().Strings("names").Single());
    }

    [Fact]
    public void CollectorService_PollsTheSimulatorThroughRealConnectors_AndIsTheStaticScrapeTarget()
    {
        var services = Yaml.Load(Repo.File("docker-compose.yml")).Map("services");
        var collector = services.Map("kpicollector");
        var environment = collector.Map("environment");

        Assert.Equal(("zendesk", "http://simulator:9471/zendesk"), (environment.Str("KPICOLLECTOR__SOURCES__0__PLATFORM"), environment.Str("KPICOLLECTOR__SOURCES__0__BASEURL")));
        Assert.Equal(("whatsapp", "http://simulator:9471/whatsapp"), (environment.Str("KPICOLLECTOR__SOURCES__1__PLATFORM"), environment.Str("KPICOLLECTOR__SOURCES__1__BASEURL")));
        var webhook = services.Map("simulator").Map("environment").Str("SIMULATOR__WHATSAPP__WEBHOOKURL");
        Assert.Equal($"http://kpicollector:9470/webhooks/whatsapp/{environment.Str("KPICOLLECTOR__SOURCES__1__NAME")}", webhook);
        Assert.Contains("9470:9470", collector.Strings("ports"));
        Assert.Contains("DEMO MODE", File.ReadAllText(Repo.File("docker-compose.yml")), StringComparison.Ordinal); // says how to get it
    }

    [Fact]
    public void Dockerfile_IsMultiStage_RunsAsNonRoot_ListensOn9470_AndChecksHealthz()
    {
        var text = File.ReadAllText(Repo.File("Dockerfile"));
        var stages = FromLine().Matches(text).ToList();
        Assert.True(stages.Count >= 2, "multi-stage: a build stage and a runtime stage");
        Assert.All(stages, s => Assert.Matches(@":\d+\.\d+", s.Groups["image"].Value)); // pinned tags, never latest
        Assert.Contains("/dotnet/aspnet:", stages[^1].Groups["image"].Value, StringComparison.Ordinal);

        var runtime = text[stages[^1].Index..];
        var user = Assert.Single(Regex.Matches(runtime, @"^USER\s+(\S+)", RegexOptions.Multiline)).Groups[1].Value;
        Assert.DoesNotMatch("^(root|0)(:.*)?$", user);
        Assert.Contains("ASPNETCORE_URLS=http://+:9470", runtime, StringComparison.Ordinal);
        Assert.Matches(@"ASPNETCORE_HTTP_PORTS=\s", runtime);
        Assert.Matches(@"(?m)^EXPOSE 9470$", runtime);
        Assert.Matches(@"(?m)^HEALTHCHECK .*", runtime);
        Assert.Contains("/healthz", HealthcheckCommand(), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^ENTRYPOINT \[""dotnet"", ""KpiCollector.dll""\]$", runtime);
    }

    [Fact]
    public void Dockerfile_CopiesOnlyPathsThatExist()
    {
        var text = File.ReadAllText(Repo.File("Dockerfile"));
        foreach (Match copy in Regex.Matches(text, @"^COPY (?!--from)(?<args>.+)$", RegexOptions.Multiline))
        {
            var parts = copy.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var source in parts[..^1])
            {
                var local = Repo.File(source.TrimEnd('/'));
                Assert.True(File.Exists(local) || Directory.Exists(local), $"COPY {source}: not in the repository");
            }
        }
    }

    /// <summary>The image's HEALTHCHECK command, run for real against a collector on loopback, and against nothing.</summary>
    [Fact]
    public async Task DockerfileHealthcheck_PassesAgainstARunningCollector_AndFailsWhenNothingListens()
    {
        using var dir = new TempDirectory();
        using var collector = CollectorProcess.Start(dir.Path, ["--KpiCollector:Simulator:Backfill=1h"]);
        await collector.WaitReadyAsync(TimeSpan.FromSeconds(120));

        var command = HealthcheckCommand();
        var healthy = Cli.Run("bash", ["-c", command.Replace("/9470", $"/{collector.Port}", StringComparison.Ordinal)], timeout: TimeSpan.FromSeconds(20));
        Assert.True(healthy.ExitCode == 0, $"healthcheck against a healthy collector: {healthy}");

        var nobody = Cli.Run("bash", ["-c", command.Replace("/9470", $"/{Wait.FreePort()}", StringComparison.Ordinal)], timeout: TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, nobody.ExitCode);

        using var simulator = SimulatorProcess.Start(dir.Directory("simulator"), ["--Simulator:Backfill=1h"]);
        await simulator.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var simulatorHealthy = Cli.Run("bash", ["-c", HealthcheckCommand("9471").Replace("/9471", $"/{simulator.Port}", StringComparison.Ordinal)], timeout: TimeSpan.FromSeconds(20));
        Assert.True(simulatorHealthy.ExitCode == 0, $"the simulator image's healthcheck against a running simulator: {simulatorHealthy}");
    }

    /// <summary>The bash -c argument of a stage's HEALTHCHECK CMD (the collector's, the last, by default), with the Dockerfile's JSON escapes resolved.</summary>
    private static string HealthcheckCommand(string port = "9470")
    {
        var text = File.ReadAllText(Repo.File("Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        var m = HealthcheckExec().Matches(text).LastOrDefault(x => x.Groups["cmd"].Value.Contains("/" + port, StringComparison.Ordinal));
        Assert.True(m is not null, $"HEALTHCHECK CMD [\"bash\", \"-c\", \"...\"] on port {port} not found");
        return System.Text.Json.JsonSerializer.Deserialize<string>("\"" + m!.Groups["cmd"].Value + "\"")!;
    }

    [GeneratedRegex(@"^FROM\s+(?<image>\S+)(\s+AS\s+\S+)?\s*$", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"HEALTHCHECK .*CMD \[""bash"", ""-c"", ""(?<cmd>(?:[^""\\]|\\.)*)""\]")]
    private static partial Regex HealthcheckExec();
}
