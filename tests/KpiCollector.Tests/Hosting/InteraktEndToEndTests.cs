using System.Net.Http.Json;
using System.Text.Json;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector's Interakt connector against the simulator acting as Interakt: the simulation's WhatsApp traffic
/// posted as signed Interakt webhooks (with duplicates and reordered statuses) to the collector's receiver, then each
/// fault kind a webhook source meets (malformed bodies, a burst), and at the end the message KPIs on /metrics equal
/// to what the receiver acknowledged.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // a real-time run of the collector against the simulator: not the quick loop
public sealed class InteraktEndToEndTests
{
    private const string SecretKey = "e2e-interakt-secret-7f3a";

    [Fact]
    public async Task WebhooksFromTheSimulator_BecomeTheWhatsAppMetrics_ThroughDuplicatesReordersMalformedBodiesAndABurst()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", "Simulator:ArrivalsPerHour=4000",
            "Simulator:Interakt:DuplicateShare=0.2", "Simulator:Interakt:ReorderShare=0.3", "Simulator:Interakt:PostInterval=1s");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "ik",
            ["KpiCollector:Sources:0:Platform"] = "interakt",
            ["KpiCollector:Sources:0:Interval"] = "1s",
            ["KpiCollector:Sources:0:Interakt:SecretKey"] = SecretKey,
            ["KpiCollector:Sources:0:Interakt:MaxConcurrentWebhooks"] = "4",
            ["KpiCollector:RefreshInterval"] = "1s",
        }, s => s.AddSingleton<ILoggerProvider>(logs));
        var registered = await simulator.Http.PutAsJsonAsync("_sim/interakt/webhook", new
        {
            url = new Uri(collector.Http.BaseAddress!, "webhooks/interakt/ik").ToString(),
            secretKey = SecretKey,
        });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());

        await collector.WaitForMetricsAsync(m =>
            m.Value("kpicollector_source_up", ("source", "ik"), ("platform", "interakt")) == 1
            && m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "accepted")) > 0
            && m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "duplicate")) > 0
            && m.Find("whatsapp_messages", ("source", "ik"), ("window", "1h")).Any()
            && m.Value("helpdesk_tickets_created", ("source", "ik"), ("channel", "whatsapp"), ("window", "1h")) > 0
            && m.Value("helpdesk_first_response_seconds", ("source", "ik"), ("channel", "whatsapp"), ("window", "24h"), ("stat", "mean"), ("responder", "all")) > 0,
            "webhook traffic from the simulator", TimeSpan.FromSeconds(90));

        // Malformed bodies: refused with 400, counted, nothing stored; the poster goes on.
        (await simulator.Http.PostAsync("_sim/interakt/webhook/faults?kind=malformed&count=3", null)).EnsureSuccessStatusCode();
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "malformed")) == 3, "the malformed bodies to be refused");

        // A burst: deliveries held back, then posted at once (a lane per customer); every one is acknowledged in the end.
        var accepted = (await collector.ScrapeAsync()).Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "accepted"))!.Value;
        (await simulator.Http.PostAsync("_sim/interakt/webhook/faults?kind=burst&count=15", null)).EnsureSuccessStatusCode();
        await CollectorHost.WaitUntilAsync(async () => (await PosterAsync(simulator)).GetProperty("bursts").GetInt64() == 1, TimeSpan.FromSeconds(90), "the burst to be posted");
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "accepted")) > accepted, "the burst to be accepted");

        await CollectorHost.WaitUntilAsync(async () => (await PosterAsync(simulator)).GetProperty("reordered").GetInt64() > 0, TimeSpan.FromSeconds(90), "a status posted out of order");

        // Stop posting; what the receiver acknowledged is then final, and the KPIs must come to exactly that.
        (await simulator.Http.DeleteAsync("_sim/interakt/webhook")).EnsureSuccessStatusCode();
        var poster = await PosterAsync(simulator);
        Assert.True(poster.GetProperty("duplicates").GetInt64() > 0, "some deliveries were posted twice");
        Assert.Equal(3, poster.GetProperty("malformedRefused").GetInt64());
        Assert.True(poster.GetProperty("burstDeliveries").GetInt64() >= 1);
        var byStatus = poster.GetProperty("outboundByStatus").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var byCode = poster.GetProperty("failuresByCode").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.True(byStatus.Values.Sum() > 0, string.Join(", ", byStatus));
        await collector.WaitForMetricsAsync(m =>
            byStatus.All(s => (m.Value("whatsapp_messages", ("source", "ik"), ("status", s.Key), ("window", "24h")) ?? 0) == s.Value)
            && byCode.All(c => m.Value("whatsapp_message_failures", ("source", "ik"), ("error_code", c.Key), ("window", "24h")) == c.Value),
            $"whatsapp_messages to equal what was acknowledged ({string.Join(", ", byStatus)}; failures {string.Join(", ", byCode)})");

        var after = await collector.ScrapeAsync();
        Assert.Equal(0, after.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "bad_signature")));
        Assert.Equal(1, after.Value("kpicollector_source_up", ("source", "ik"), ("platform", "interakt")));
        Assert.Empty(after.Find("whatsapp_conversations", ("source", "ik"))); // not reported by Interakt: absent
        Assert.DoesNotContain(SecretKey, logs.AllText, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> PosterAsync(SimulatorHost simulator) =>
        JsonDocument.Parse(await simulator.Http.GetStringAsync("_sim/interakt/webhook")).RootElement.Clone();
}
