using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// One collector on its embedded defaults (simulator → store → engine → /metrics), started once for the whole class:
/// its backfill is the slow part, and every test only reads what it serves.
/// </summary>
public sealed class DemoModeFixture : IAsyncLifetime
{
    internal CollectorHost Host { get; private set; } = null!;

    /// <summary>The first scrape after the collector became ready.</summary>
    public string Metrics { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // Eight days (the 1h volume baseline needs a week of history) at a third of the default rate, to start fast.
        Host = await CollectorHost.StartAsync(new Dictionary<string, string>
        {
            ["KpiCollector:Simulator:Backfill"] = "8d",
            ["KpiCollector:Simulator:ArrivalsPerHour"] = "40",
            ["KpiCollector:Simulator:Agents"] = "8",
        });
        await Host.WaitReadyAsync();
        Metrics = await Host.GetAsync("/metrics");
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The collector on its embedded defaults: simulator → store → engine → /metrics.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed partial class DemoModeTests(DemoModeFixture demo) : IClassFixture<DemoModeFixture>
{
    private static readonly string[] Windows = ["1h", "24h", "7d", "30d"];
    private readonly CollectorHost _host = demo.Host;
    private readonly string _metrics = demo.Metrics;

    [Fact]
    public void Metrics_ServeTheFirstKpisForEveryWindow_PerChannelAndForAll()
    {
        var samples = MetricsText.Parse(_metrics);
        foreach (var window in Windows)
        {
            // The last hour can be quiet (a simulated night): there every KPI must be present only where the data that
            // defines it must exist; the day and longer windows carry every KPI, per channel too.
            var quiet = window == "1h";
            foreach (var channel in quiet ? ["all"] : new[] { "all", "whatsapp", "email" })
            {
                (string, string)[] labels = [("source", "demo"), ("platform", "simulator"), ("channel", channel), ("window", window)];
                Assert.True(samples.Value("helpdesk_tickets_created", labels) > 0, $"tickets_created {channel} {window}");
                Assert.NotNull(samples.Value("helpdesk_tickets_resolved", labels));
                Assert.NotNull(samples.Value("helpdesk_first_responses", [.. labels, ("responder", "all")]));
                foreach (var stat in quiet ? [] : new[] { "mean", "p50", "p90", "p95" })
                {
                    Assert.True(samples.Value("helpdesk_first_response_seconds", [.. labels, ("stat", stat), ("responder", "all")]) > 0, $"FRT {stat} {channel} {window}");
                    Assert.True(samples.Value("helpdesk_resolution_seconds", [.. labels, ("stat", stat)]) > 0, $"ART {stat} {channel} {window}");
                }
            }

            // A ratio: 0 is a real value (every response unsatisfied); absent only without responses.
            var csat = samples.Value("helpdesk_csat_ratio", ("channel", "all"), ("window", window));
            if (!quiet)
            {
                Assert.NotNull(csat);
            }

            if (csat is { } ratio)
            {
                Assert.InRange(ratio, 0.0, 1.0);
            }
        }

        Assert.NotNull(samples.Value("helpdesk_backlog_tickets", ("channel", "all"), ("status", "open")));
        Assert.Empty(samples.Find("helpdesk_backlog_tickets", ("status", "solved")));
    }

    /// <summary>
    /// Counts of zero are exported as 0 in every series, for every kind the source supplies (the simulator: every
    /// responder kind, every survey kind, messages); a quiet channel does not make a count disappear.
    /// </summary>
    [Fact]
    public void Metrics_ExportZeroCounts_InEverySeries_ForEveryKindTheSourceSupplies()
    {
        var samples = MetricsText.Parse(_metrics);
        var series = samples.Find("helpdesk_tickets_created", ("source", "demo")).Select(s => (Channel: s.Labels["channel"], Window: s.Labels["window"])).ToList();
        Assert.True(series.Count >= 4 * Windows.Length, "channels × windows");
        foreach (var (channel, window) in series)
        {
            (string, string)[] labels = [("source", "demo"), ("channel", channel), ("window", window)];
            foreach (var kind in new[] { "csat", "nps", "ces" })
            {
                Assert.True(samples.Value("helpdesk_survey_responses", [.. labels, ("kind", kind)]) >= 0, $"survey responses {kind} {channel} {window}");
            }

            foreach (var responder in new[] { "all", "bot", "human" })
            {
                Assert.True(samples.Value("helpdesk_first_responses", [.. labels, ("responder", responder)]) >= 0, $"first responses {responder} {channel} {window}");
            }

            foreach (var direction in new[] { "inbound", "outbound" })
            {
                Assert.True(samples.Value("helpdesk_messages", [.. labels, ("direction", direction)]) >= 0, $"messages {direction} {channel} {window}");
            }
        }

        Assert.Contains(samples.Find("helpdesk_survey_responses", ("source", "demo")), s => s.Value == 0); // the case this is about
    }

    [Fact]
    public void Metrics_WindowsNest_AndChannelAllIsTheSumOfChannels()
    {
        var samples = MetricsText.Parse(_metrics);
        var created = Windows.Select(w => samples.Value("helpdesk_tickets_created", ("channel", "all"), ("window", w))!.Value).ToList();
        Assert.Equal(created.Order(), created); // 1h ≤ 24h ≤ 7d ≤ 30d

        var perChannel = samples.Find("helpdesk_tickets_created", ("window", "24h")).Where(s => s.Labels["channel"] != "all").Sum(s => s.Value);
        Assert.Equal(created[1], perChannel);
        var whatsapp = samples.Value("helpdesk_tickets_created", ("channel", "whatsapp"), ("window", "24h"));
        Assert.Equal(samples.Find("helpdesk_tickets_created", ("window", "24h")).Where(s => s.Labels["channel"] != "all").Max(s => s.Value), whatsapp);
    }

    [Fact]
    public void Metrics_ReportDemoModeBuildAndSourceHealth()
    {
        var samples = MetricsText.Parse(_metrics);
        Assert.Equal(1, samples.Value("kpicollector_demo_mode"));
        Assert.Equal(1, samples.Find("kpicollector_build_info").Single().Value);
        Assert.Equal(1, samples.Value("kpicollector_source_up", ("source", "demo"), ("platform", "simulator")));
        var lastSuccess = samples.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "demo"))!.Value;
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - lastSuccess, -5, 120);
        Assert.Equal(0, samples.Value("kpicollector_source_errors_total", ("source", "demo"), ("reason", "timeout")));
        Assert.True(samples.Value("kpicollector_store_records", ("kind", "conversation")) > 1000);
    }

    [Trait("Category", "Integration")] // runs Debian's promtool
    [Fact]
    public void Metrics_PassPromtoolCheckMetrics()
    {
        var (exitCode, output) = Promtool.CheckMetrics(_metrics);

        Assert.True(exitCode == 0, $"promtool check metrics failed:\n{output}");
    }

    [Fact]
    public void Metrics_HaveHelpAndTypeForEveryFamily()
    {
        var names = MetricsText.Parse(_metrics).Select(s => HistogramSuffix().Replace(s.Name, "")).Distinct();
        foreach (var name in names.Where(n => n.StartsWith("helpdesk_", StringComparison.Ordinal) || n.StartsWith("kpicollector_", StringComparison.Ordinal)))
        {
            Assert.Contains($"# HELP {name} ", _metrics, StringComparison.Ordinal);
            Assert.Contains($"# TYPE {name} ", _metrics, StringComparison.Ordinal);
        }
    }

    /// <summary>docs/metrics.md and /metrics name the same metrics (bar the ones only HTTP sources serve).</summary>
    [Fact]
    public void Metrics_AreExactlyTheDocumentedOnes()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "metrics.md"));
        var documented = MetricName().Matches(doc).Select(m => m.Groups[1].Value).ToHashSet();
        var httpOnlyParagraph = doc[doc.IndexOf("Served only by sources", StringComparison.Ordinal)..];
        httpOnlyParagraph = httpOnlyParagraph[..httpOnlyParagraph.IndexOf("\n\n", StringComparison.Ordinal)];
        var httpOnly = MetricName().Matches(httpOnlyParagraph).Select(m => m.Groups[1].Value).ToHashSet();
        var served = MetricsText.Parse(_metrics).Select(s => HistogramSuffix().Replace(s.Name, "")).ToHashSet();

        // Absent by definition when nobody is waiting, which a quiet simulated moment can be; and once the backfill is done.
        string[] conditional = ["helpdesk_oldest_unanswered_created_timestamp_seconds", "kpicollector_source_backfill_eta_seconds"];
        Assert.Empty(served.Except(documented));
        Assert.Empty(documented.Except(httpOnly).Except(conditional).Except(served));
    }

    [Fact]
    public async Task LandingPage_LinksToMetricsAndListsTheSourceWithItsState()
    {
        var html = await _host.GetAsync("/");

        Assert.Contains("href=\"metrics\"", html, StringComparison.Ordinal);
        Assert.Contains("DEMO MODE", html, StringComparison.Ordinal);
        Assert.Contains("<td>demo</td><td>simulator</td><td><span class=\"up\">up</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthEndpoints_Answer()
    {
        Assert.Equal("ok\n", await _host.GetAsync("/healthz"));
        Assert.Contains("\"ready\":true", await _host.GetAsync("/readyz"), StringComparison.Ordinal);
    }

    [System.Text.RegularExpressions.GeneratedRegex("`((?:helpdesk|kpicollector|whatsapp)_[a-z_]+[a-z])")]
    private static partial System.Text.RegularExpressions.Regex MetricName();

    internal static string RepoRoot() =>
        typeof(DemoModeTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    [System.Text.RegularExpressions.GeneratedRegex("_(bucket|sum|count)$")]
    private static partial System.Text.RegularExpressions.Regex HistogramSuffix();
}
