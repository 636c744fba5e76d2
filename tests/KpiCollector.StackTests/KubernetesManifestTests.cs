using KpiCollector.StackTests.Support;
using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests;

/// <summary>
/// deploy/kubernetes (no kubectl or cluster here): every manifest is well-formed, the replicas are configured for
/// PostgreSQL with a replica id per pod and no credential in the manifests, and the PrometheusRule is exactly what
/// scripts/generate-prometheusrule.sh makes of prometheus/rules, valid for promtool.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Dir = Repo.File("deploy/kubernetes");

    [Fact]
    public void ThePrometheusRule_IsTheGeneratorsOutput()
    {
        var result = Cli.Run("bash", [Repo.File("scripts/generate-prometheusrule.sh"), "-"], workingDirectory: Repo.Root);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.ReadAllText(Path.Combine(Dir, "prometheusrule.yaml")) == result.Output,
            "deploy/kubernetes/prometheusrule.yaml is not in step with prometheus/rules: run scripts/generate-prometheusrule.sh");
    }

    [Fact]
    public void ThePrometheusRulesGroups_AreTheShippedGroups_AndPassPromtool()
    {
        var rule = Yaml.Load(Path.Combine(Dir, "prometheusrule.yaml"));
        Assert.Equal("PrometheusRule", rule.Str("kind"));
        var groups = (YamlSequenceNode)rule.Map("spec").Get("groups")!;
        var shipped = Directory.EnumerateFiles(Repo.RulesDir, "*.yaml").Order(StringComparer.Ordinal)
            .SelectMany(f => Yaml.Load(f).Maps("groups")).Select(g => g.Str("name")).ToList();
        Assert.Equal(shipped, groups.Children.Cast<YamlMappingNode>().Select(g => g.Str("name")));

        using var dir = new TempDirectory();
        var extracted = new YamlMappingNode { { "groups", groups } };
        Yaml.Save(extracted, dir.File("rules.yaml"));
        var check = Cli.Run("promtool", ["check", "rules", dir.File("rules.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("SUCCESS", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryManifest_HasAnApiVersionAKindAndAName()
    {
        var files = Directory.EnumerateFiles(Dir, "*.yaml").ToList();
        Assert.Contains(files, f => f.EndsWith("deployment.yaml", StringComparison.Ordinal));
        foreach (var file in files.Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)))
        {
            var manifest = Yaml.Load(file);
            Assert.False(string.IsNullOrEmpty(manifest.Str("apiVersion")), $"{file}: apiVersion");
            Assert.False(string.IsNullOrEmpty(manifest.Str("kind")), $"{file}: kind");
            Assert.False(string.IsNullOrEmpty(manifest.Map("metadata").Str("name")), $"{file}: metadata.name");
        }

        var kustomization = Yaml.Load(Path.Combine(Dir, "kustomization.yaml"));
        var resources = kustomization.Strings("resources").ToList();
        Assert.All(resources, r => Assert.True(File.Exists(Path.Combine(Dir, r)), $"kustomization lists {r}, which does not exist"));
        Assert.DoesNotContain("secret.example.yaml", resources); // the real Secret comes from the operator, never from the repository
    }

    [Fact]
    public void TheReplicas_RunOnPostgres_WithTheirPodNameAsReplicaId_ProbedOnHealthAndReadiness()
    {
        var deployment = Yaml.Load(Path.Combine(Dir, "deployment.yaml"));
        var spec = deployment.Map("spec");
        Assert.True(int.Parse(spec.Str("replicas")!, System.Globalization.CultureInfo.InvariantCulture) >= 2);
        var container = spec.Map("template").Map("spec").Maps("containers").Single();
        var replicaId = container.Maps("env").Single(e => e.Str("name") == "KPICOLLECTOR__LEASES__REPLICAID");
        Assert.Equal("metadata.name", replicaId.Map("valueFrom").Map("fieldRef").Str("fieldPath"));
        Assert.Equal("/readyz", container.Map("readinessProbe").Map("httpGet").Str("path"));
        Assert.Equal("/healthz", container.Map("livenessProbe").Map("httpGet").Str("path"));
        Assert.Equal("9470", container.Maps("ports").Single().Str("containerPort"));

        var config = Yaml.Load(Path.Combine(Dir, "configmap.yaml")).Map("data");
        Assert.Equal("postgres", config.Str("KPICOLLECTOR__STORE__PROVIDER"));
        Assert.StartsWith("/run/secrets/", config.Str("KPICOLLECTOR__STORE__CONNECTIONSTRINGFILE"), StringComparison.Ordinal);
        foreach (var file in new[] { "configmap.yaml", "deployment.yaml" })
        {
            var text = File.ReadAllText(Path.Combine(Dir, file));
            Assert.DoesNotContain("Password=", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("APITOKEN:", text, StringComparison.Ordinal); // only the …FILE variants
        }

        var monitor = Yaml.Load(Path.Combine(Dir, "servicemonitor.yaml"));
        Assert.Equal("metrics", monitor.Map("spec").Maps("endpoints").Single().Str("port"));
    }
}
