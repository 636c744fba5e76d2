using System.Net.Http.Json;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector's real WhatsApp connector against the simulator acting as Meta: analytics read from the WhatsApp face,
/// signed webhooks posted by the simulator (with its duplicates and reordered statuses) to the collector's receiver,
/// and every fault kind of the face failing an analytics read with its reason before the source recovers.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // a real-time run of the collector against the simulator's face: not the quick loop
public sealed class WhatsAppEndToEndTests
{
    private const string Token = "e2e-whatsapp-T0ken-3a9b";
    private const string AppSecret = "e2e-app-secret-c0ffee";
    private const string VerifyToken = "e2e-verify-token";

    [Fact]
    public async Task AnalyticsAndWebhooks_FromTheSimulator_BecomeTheWhatsAppMetrics_AndFaultsRecover()
    {
        // Analytics every second cost 7,200 calls an hour, against Meta's 200 (the face's default): on a loaded machine
        // the run outlasts that budget, the collector rightly pauses a minute per call, and the drill's recoveries
        // time out. The budget is not what this test is about, so the face allows what the test asks.
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=1d", "Simulator:ArrivalsPerHour=600",
            $"Simulator:WhatsApp:AccessToken={Token}", "Simulator:WhatsApp:DuplicateShare=0.2", "Simulator:WhatsApp:ReorderShare=0.2", "Simulator:WhatsApp:PostInterval=1s",
            "Simulator:WhatsApp:CallsPerHour=100000");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "wa",
            ["KpiCollector:Sources:0:Platform"] = "whatsapp",
            ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("whatsapp"),
            ["KpiCollector:Sources:0:ApiToken"] = Token,
            ["KpiCollector:Sources:0:Interval"] = "1s",
            ["KpiCollector:Sources:0:Backfill"] = "1d",
            ["KpiCollector:Sources:0:Timeout"] = "3s",
            ["KpiCollector:Sources:0:MaxRetries"] = "0",
            ["KpiCollector:Sources:0:RequestsPerMinute"] = "600",
            ["KpiCollector:Sources:0:WhatsApp:WabaId"] = "102290129340398",
            ["KpiCollector:Sources:0:WhatsApp:AnalyticsInterval"] = "1s",
            ["KpiCollector:Sources:0:WhatsApp:AppSecret"] = AppSecret,
            ["KpiCollector:Sources:0:WhatsApp:VerifyToken"] = VerifyToken,
            ["KpiCollector:RefreshInterval"] = "1s",
        }, s => s.AddSingleton<ILoggerProvider>(logs));
        var registered = await simulator.Http.PutAsJsonAsync("_sim/whatsapp/webhook", new
        {
            url = new Uri(collector.Http.BaseAddress!, "webhooks/whatsapp/wa").ToString(),
            appSecret = AppSecret,
            verifyToken = VerifyToken,
        });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync()); // the handshake passed

        await collector.WaitForMetricsAsync(m =>
            m.Value("whatsapp_conversations", ("source", "wa"), ("category", "service"), ("direction", "user_initiated"), ("window", "24h")) > 0
            && m.Value("whatsapp_cost", ("source", "wa"), ("currency", "USD"), ("category", "utility"), ("window", "24h")) > 0
            && m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "accepted")) > 0
            && m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "duplicate")) > 0
            && m.Find("whatsapp_messages", ("source", "wa"), ("window", "1h")).Any()
            && m.Value("helpdesk_tickets_created", ("source", "wa"), ("channel", "whatsapp"), ("window", "1h")) > 0,
            // Live traffic (webhooks are posted from the registration on, in real time): a generous deadline, since a
            // loaded machine slows the simulation and the collector alike; the wait ends as soon as the data is there.
            "analytics and webhook traffic from the simulator", TimeSpan.FromSeconds(240));

        await FaultDrill.RunAsync(collector, simulator, "whatsapp", "wa");

        var after = await collector.ScrapeAsync();
        Assert.Equal(0, after.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "bad_signature")));
        Assert.Equal(0, after.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "malformed")));
        Assert.NotNull(after.Value("kpicollector_source_rate_limit_remaining", ("source", "wa")));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(AppSecret, logs.AllText, StringComparison.Ordinal);
    }
}
