using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// <c>Platform: rest</c> configured as users configure it: the collector reads the simulator's Freshdesk face through
/// the built-in <c>freshdesk</c> profile beside the coded connector, and both sources export the same KPIs.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class RestEndToEndTests
{
    private const string Key = "simulator-freshdesk-key";

    [Fact]
    public async Task ARestSource_WithTheFreshdeskProfile_ExportsWhatTheCodedConnectorExports()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", "Simulator:Freshdesk:RequestsPerMinute=100000");
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:RefreshInterval"] = "1s",
        };
        foreach (var (index, name, platform) in new[] { (0, "fd", "freshdesk"), (1, "fdrest", "rest") })
        {
            var key = $"KpiCollector:Sources:{index}";
            settings[$"{key}:Name"] = name;
            settings[$"{key}:Platform"] = platform;
            settings[$"{key}:BaseUrl"] = simulator.BaseUrl("freshdesk");
            settings[$"{key}:ApiToken"] = Key;
            settings[$"{key}:Interval"] = "1s";
            settings[$"{key}:Backfill"] = "6h";
            settings[$"{key}:RequestsPerMinute"] = "100000";
        }

        settings["KpiCollector:Sources:0:Freshdesk:TicketsRequestsPerMinute"] = "10000";
        settings["KpiCollector:Sources:1:Rest:Profile"] = "freshdesk";
        settings["KpiCollector:Sources:1:Rest:Variables:subdomain"] = "acme";
        await using var collector = await CollectorHost.StartAsync(settings);

        double? Created(List<MetricsText.Sample> samples, string source) =>
            samples.Value("helpdesk_tickets_created", ("source", source), ("channel", "all"), ("window", "24h"));

        List<MetricsText.Sample> samples = [];
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                samples = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return samples.Value("kpicollector_source_up", ("source", "fdrest"), ("platform", "rest")) == 1
                    && samples.Value("kpicollector_source_up", ("source", "fd")) == 1
                    && Created(samples, "fdrest") is > 0
                    && Created(samples, "fdrest") == Created(samples, "fd");
            },
            TimeSpan.FromSeconds(90),
            "both sources up, the rest source's tickets created equal to the coded connector's, and more than 0");

        foreach (var kpi in new[] { "helpdesk_tickets_resolved", "helpdesk_backlog_tickets" })
        {
            var coded = samples.Value(kpi, ("source", "fd"), ("channel", "all"));
            Assert.NotNull(coded);
            Assert.Equal(coded, samples.Value(kpi, ("source", "fdrest"), ("channel", "all")));
        }
    }
}
