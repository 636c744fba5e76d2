using KpiCollector.StackTests.Support;
using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests;

/// <summary>The shipped alertmanager.yml, checked with amtool (Debian's prometheus-alertmanager).</summary>
public sealed class AlertmanagerConfigTests
{
    [Fact]
    public void AmtoolCheckConfig_AcceptsTheShippedConfig()
    {
        var result = Cli.Run("amtool", ["check-config", Repo.AlertmanagerConfig]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
        Assert.Contains("3 inhibit rules", result.Output, StringComparison.Ordinal);
        Assert.Contains("4 receivers", result.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Which receivers a label set can reach. amtool does not evaluate time intervals: a critical alert lists both the
    /// paging route (active in business hours) and the off-hours queue route (muted in business hours);
    /// AlertmanagerRoutingTests checks with a running Alertmanager that exactly one of them notifies.
    /// </summary>
    [Theory]
    [InlineData("oncall,ticket-queue", "alertname=HelpdeskSlaBreachingNow", "severity=critical", "source=demo", "channel=all", "sla=first_response")]
    [InlineData("oncall,ticket-queue", "alertname=HelpdeskSlaErrorBudgetBurn", "severity=critical", "source=acme", "sla=first_response")]
    [InlineData("ticket-queue", "alertname=HelpdeskSlaErrorBudgetBurn", "severity=warning", "source=acme", "sla=first_response")]
    [InlineData("ticket-queue", "alertname=KpiCollectorSourceDown", "severity=warning", "source=demo")]
    [InlineData("ticket-queue", "alertname=HelpdeskCsatDrop", "severity=warning", "source=demo", "channel=whatsapp")]
    [InlineData("heartbeat", "alertname=KpiCollectorWatchdog", "severity=info")]
    [InlineData("blackhole", "alertname=SomethingInformative", "severity=info")]
    [InlineData("ticket-queue", "alertname=AlertWithoutSeverity")]
    public void Routes_SendEachSeverityToItsReceiver(string receivers, params string[] labels)
    {
        var result = Cli.Run("amtool", ["config", "routes", "test", $"--config.file={Repo.AlertmanagerConfig}", $"--verify.receivers={receivers}", .. labels]);

        Assert.True(result.ExitCode == 0, $"{string.Join(' ', labels)} should reach {receivers}: {result}");
    }

    [Fact]
    public void Receivers_ArePlaceholderWebhooksOnExampleHosts_WithoutCredentials()
    {
        var root = Yaml.Load(Repo.AlertmanagerConfig);
        var receivers = root.Maps("receivers").ToList();
        Assert.Equal(["blackhole", "heartbeat", "oncall", "ticket-queue"], receivers.Select(r => r.Str("name")).Order());
        foreach (var receiver in receivers.Where(r => r.Str("name") != "blackhole"))
        {
            var hooks = receiver.Maps("webhook_configs").ToList();
            Assert.NotEmpty(hooks);
            Assert.All(hooks, h => Assert.EndsWith(".example.com", new Uri(h.Str("url")!).Host, StringComparison.Ordinal));
        }

        var text = File.ReadAllText(Repo.AlertmanagerConfig);
        foreach (var secretKey in new[] { "password:", "api_key:", "routing_key:", "service_key:", "bot_token:", "credentials:", "api_url:" })
        {
            Assert.DoesNotContain("\n" + secretKey, text.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Paging_IsLimitedToBusinessHours_AndEveryTimeIntervalIsDefined()
    {
        var root = Yaml.Load(Repo.AlertmanagerConfig);
        var routes = root.Map("route").Maps("routes").ToList();
        var paging = routes.Single(r => r.Str("receiver") == "oncall");
        Assert.Equal(["business-hours"], paging.Strings("active_time_intervals"));
        Assert.Equal("true", paging.Str("continue"));
        var offHours = routes.Single(r => r.Str("receiver") == "ticket-queue" && r.Strings("matchers").Contains("severity=\"critical\""));
        Assert.Equal(["business-hours"], offHours.Strings("mute_time_intervals"));

        var defined = root.Maps("time_intervals").Select(t => t.Str("name")).ToHashSet();
        Assert.All(routes.SelectMany(r => r.Strings("active_time_intervals").Concat(r.Strings("mute_time_intervals"))), name => Assert.Contains(name, defined));
        Assert.All(root.Maps("time_intervals").SelectMany(t => t.Maps("time_intervals")), spec => Assert.IsType<YamlSequenceNode>(spec.Get("times")));
    }
}
