using System.Text.Json;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// A long backfill through the real Zendesk connector against the simulator's Zendesk face, slowed down (every
/// response 1 s late, small pages): the operator reads the same progress in the log, on the landing page, on
/// <c>/readyz</c> and on <c>/metrics</c>, and a line says when it is complete.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // a real-time run of the collector against the simulator's face: not the quick loop
public sealed class BackfillProgressEndToEndTests
{
    private const string Token = "e2e-backfill-T0ken-51ab";

    [Fact]
    public async Task ASlowBackfill_ShowsItsProgressEverywhere_ThenItsCompletion()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=1d", $"Simulator:Zendesk:ApiToken={Token}");
        // Every face response 1.5 s late, until cleared: about 30 export pages make a backfill of some 50 s.
        (await simulator.Http.PostAsync("_sim/faults/zendesk?kind=slow&delay=1.5&count=-1", null)).EnsureSuccessStatusCode();
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "zd",
            ["KpiCollector:Sources:0:Platform"] = "zendesk",
            ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("zendesk"),
            ["KpiCollector:Sources:0:Email"] = "admin@simulator.test",
            ["KpiCollector:Sources:0:ApiToken"] = Token,
            ["KpiCollector:Sources:0:Backfill"] = "1d",
            ["KpiCollector:Sources:0:Interval"] = "1m",
            ["KpiCollector:Sources:0:Zendesk:PerPage"] = "100",
            ["KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute"] = "1000",
            ["KpiCollector:Sources:0:Zendesk:Csat"] = "legacy",
            ["Logging:LogLevel:KpiCollector.Pipeline.SourcePoller"] = "Information",
        }, s => s.AddSingleton<ILoggerProvider>(logs));

        // Mid-way, once the estimate has a rate: /readyz lists the source with its percentage and time left.
        JsonElement entry = default;
        await CollectorHost.WaitUntilAsync(async () =>
        {
            using var response = await collector.Http.GetAsync("/readyz");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            var list = body.GetProperty("backfilling").EnumerateArray().ToList();
            if (list.Count == 1 && list[0].GetProperty("etaSeconds").ValueKind == JsonValueKind.Number)
            {
                Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode); // not ready before the first poll ends
                entry = list[0];
                return true;
            }

            return false;
        }, TimeSpan.FromSeconds(60), "/readyz to list zd as backfilling with an estimate");
        Assert.Equal("zd", entry.GetProperty("source").GetString());
        var percent = entry.GetProperty("percent").GetDouble();
        Assert.InRange(percent, 0.1, 99.9);
        Assert.True(entry.GetProperty("requests").GetInt64() >= 2);
        Assert.True(entry.GetProperty("records").GetInt64() >= 100);
        Assert.True(entry.TryGetProperty("readUpTo", out var readUpTo) && readUpTo.ValueKind == JsonValueKind.String);

        var m = MetricsText.Parse(await collector.GetAsync("/metrics"));
        Assert.InRange(m.Value("kpicollector_source_backfill_progress_ratio", ("source", "zd"))!.Value, 0.001, 0.999);
        Assert.True(m.Value("kpicollector_source_backfill_eta_seconds", ("source", "zd")) > 0);

        var page = await collector.GetAsync("/");
        Assert.Contains("<progress class=\"backfill\" data-source=\"zd\"", page, StringComparison.Ordinal);
        Assert.Contains("http-equiv=\"refresh\"", page, StringComparison.Ordinal);
        Assert.Contains("time left: about", page, StringComparison.Ordinal);

        // The end: ready, ratio 1, no estimate, a completion line with its duration and request count.
        await collector.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var complete = await logs.WaitForAsync(e => e.Message.StartsWith("Backfill of zd complete in ", StringComparison.Ordinal), "the completion line", TimeSpan.FromSeconds(10));
        Assert.Matches(@"complete in \d+ (s|min): \d+ records, \d+ requests$", complete.Message);
        var done = MetricsText.Parse(await collector.GetAsync("/metrics"));
        Assert.Equal(1, done.Value("kpicollector_source_backfill_progress_ratio", ("source", "zd")));
        Assert.Null(done.Value("kpicollector_source_backfill_eta_seconds", ("source", "zd")));
        using var ready = JsonDocument.Parse(await collector.GetAsync("/readyz"));
        Assert.Empty(ready.RootElement.GetProperty("backfilling").EnumerateArray());
        var landing = await collector.GetAsync("/");
        Assert.DoesNotContain("http-equiv=\"refresh\"", landing, StringComparison.Ordinal);
        Assert.Contains("done in", landing, StringComparison.Ordinal);

        // Progress lines: Information, at most one every 30 s (the backfill lasts long enough for one).
        var lines = logs.Entries.Where(e => e.Message.StartsWith("Backfill of zd: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Equal(LogLevel.Information, l.Level));
        Assert.All(lines, l => Assert.Matches(@"^Backfill of zd: \d+\.\d %, data read up to \d{4}-\d\d-\d\d \d\d:\d\dZ, \d+ records and \d+ requests so far, time left (about .+|unknown)$", l.Message));
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
    }
}
