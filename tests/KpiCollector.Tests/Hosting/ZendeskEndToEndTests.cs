using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector polling the simulator's Zendesk face through the real connector over HTTP: first with both in
/// this process to inject every fault kind, then as two separate processes, as users run them.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // a real-time run of the collector against the simulator's face: not the quick loop
public sealed class ZendeskEndToEndTests
{
    private const string Token = "e2e-zendesk-T0ken-7c1d";

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:Zendesk:ApiToken={Token}");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "zd",
            ["KpiCollector:Sources:0:Platform"] = "zendesk",
            ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("zendesk"),
            ["KpiCollector:Sources:0:Email"] = "admin@simulator.test",
            ["KpiCollector:Sources:0:ApiToken"] = Token,
            ["KpiCollector:Sources:0:Interval"] = "1s",
            ["KpiCollector:Sources:0:Backfill"] = "2h",
            ["KpiCollector:Sources:0:Timeout"] = "3s",
            ["KpiCollector:Sources:0:MaxRetries"] = "0", // one fault, one failed poll
            ["KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute"] = "1000",
            ["KpiCollector:RefreshInterval"] = "1s",
        }, s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitReadyAsync();
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "zd")) == 1, "the first successful poll");

        (string Fault, string Reason, string? Code)[] cases =
        [
            ("kind=server_error&status=503", "http_5xx", "503"),
            ("kind=rate_limit&retryAfter=1", "rate_limited", "429"),
            ("kind=slow&delay=8", "timeout", "timeout"),
            ("kind=expired_token", "auth", "401"),
            ("kind=malformed", "parse", "200"),
        ];
        foreach (var (fault, reason, code) in cases)
        {
            var before = await collector.ScrapeAsync();
            var failures = before.Value("kpicollector_source_errors_total", ("source", "zd"), ("reason", reason)) ?? 0;
            var lastSuccess = before.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "zd"))!.Value;
            (await simulator.Http.PostAsync($"_sim/faults/zendesk?{fault}", null)).EnsureSuccessStatusCode();

            await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_errors_total", ("source", "zd"), ("reason", reason)) > failures, $"a poll failed with reason {reason}");
            await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "zd")) == 1
                && m.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "zd")) > lastSuccess, $"recovery after {reason}");
            Assert.True((await collector.ScrapeAsync()).Value("kpicollector_source_requests_total", ("source", "zd"), ("code", code!)) >= 1, $"requests with code {code}");
        }

        var after = await collector.ScrapeAsync();
        Assert.True(after.Value("helpdesk_tickets_created", ("source", "zd"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.NotNull(after.Value("kpicollector_source_rate_limit_remaining", ("source", "zd")));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response at", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, await collector.GetAsync("/"), StringComparison.Ordinal); // the landing page shows the last error
    }

    [Fact]
    public async Task CollectorProcess_PollingTheSimulatorProcess_ServesTheZendeskKpis()
    {
        using var dir = new TempDirectory();
        using var simulator = SimulatorProcess.Start("--Simulator:Backfill=1d", $"--Simulator:Zendesk:ApiToken={Token}");
        await simulator.WaitReadyAsync(TimeSpan.FromSeconds(60));
        using var collector = CollectorProcess.Start(dir.Path, environment: new Dictionary<string, string>
        {
            ["KPICOLLECTOR__SOURCES__0__NAME"] = "acme-zd",
            ["KPICOLLECTOR__SOURCES__0__PLATFORM"] = "zendesk",
            ["KPICOLLECTOR__SOURCES__0__BASEURL"] = new Uri(simulator.Address, "zendesk").ToString(),
            ["KPICOLLECTOR__SOURCES__0__EMAIL"] = "admin@simulator.test",
            ["KPICOLLECTOR__SOURCES__0__APITOKEN"] = Token,
            ["KPICOLLECTOR__SOURCES__0__BACKFILL"] = "1d",
            ["KPICOLLECTOR__SOURCES__0__INTERVAL"] = "30s",
        });
        await collector.WaitReadyAsync(TimeSpan.FromSeconds(120));

        var text = await collector.Http.GetStringAsync("/metrics");
        var m = MetricsText.Parse(text);
        (string, string)[] zd = [("source", "acme-zd"), ("platform", "zendesk")];
        Assert.Equal(1, m.Value("kpicollector_source_up", zd));
        Assert.Equal(0, m.Value("kpicollector_demo_mode"));
        foreach (var channel in new[] { "all", "whatsapp", "email" })
        {
            (string, string)[] labels = [.. zd, ("channel", channel), ("window", "24h")];
            Assert.True(m.Value("helpdesk_tickets_created", labels) > 10, $"tickets created, {channel}");
            Assert.True(m.Value("helpdesk_first_response_seconds", [.. labels, ("stat", "p50"), ("responder", "human")]) > 0, $"human FRT, {channel}");
            Assert.True(m.Value("helpdesk_resolution_seconds", [.. labels, ("stat", "mean")]) > 0, $"ART, {channel}");
        }

        Assert.InRange(m.Value("helpdesk_csat_ratio", [.. zd, ("channel", "all"), ("window", "24h")])!.Value, 0.05, 1.0);

        // What Zendesk cannot supply is absent, never 0: bot replies (its metrics count agents' replies only), NPS and
        // CES. What it supplies is a count in every series, 0 included.
        foreach (var s in m.Find("helpdesk_tickets_created", zd))
        {
            (string, string)[] series = [.. zd, ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.Null(m.Value("helpdesk_first_responses", [.. series, ("responder", "bot")]));
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. series, ("responder", "human")]));
            Assert.NotNull(m.Value("helpdesk_survey_responses", [.. series, ("kind", "csat")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "nps")]));
        }

        Assert.Empty(m.Find("helpdesk_first_response_seconds", [.. zd, ("responder", "bot")]));
        Assert.Empty(m.Find("helpdesk_messages", zd)); // no message-level data from Zendesk
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", [.. zd, ("channel", "all"), ("status", "open")]));
        Assert.True(m.Value("kpicollector_source_requests_total", ("source", "acme-zd"), ("code", "200")) >= 2);
        Assert.NotNull(m.Value("kpicollector_source_rate_limit_remaining", ("source", "acme-zd")));
        var watermark = DateTimeOffset.FromUnixTimeSeconds((long)m.Value("kpicollector_source_watermark_timestamp_seconds", ("source", "acme-zd"))!.Value);
        Assert.InRange(DateTimeOffset.UtcNow - watermark, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(5)); // the export's last minute is left out
        var (exitCode, output) = Promtool.CheckMetrics(text);
        Assert.True(exitCode == 0, output);

        Assert.Equal(0, collector.Terminate(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(Token, collector.Output, StringComparison.Ordinal);
    }
}
