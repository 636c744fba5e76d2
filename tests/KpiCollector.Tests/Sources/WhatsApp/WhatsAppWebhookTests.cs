using System.Net;
using System.Text;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Tests.Sources.WhatsApp;

/// <summary>
/// The webhook receiver over real HTTP in the real collector: Meta's verification, the signature over the raw body,
/// the refusals that store nothing, deduplication, statuses out of order, and the KPIs the deliveries make.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class WhatsAppWebhookTests
{
    private const string Path = "/webhooks/whatsapp/wa";
    private const string Alice = "4915112345678";
    private const string Bob = "4915187654321";

    [Fact]
    public async Task TheVerificationHandshake_EchoesTheChallenge_OnlyForTheRightToken()
    {
        await using var host = await StartAsync();

        var ok = await host.Http.GetAsync($"{Path}?hub.mode=subscribe&hub.verify_token={WebhookBodies.VerifyToken}&hub.challenge=1158201444");
        var wrong = await host.Http.GetAsync($"{Path}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444");
        var unknown = await host.Http.GetAsync("/webhooks/whatsapp/nosuch?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1");

        Assert.Equal((HttpStatusCode.OK, "1158201444"), (ok.StatusCode, await ok.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task RefusedRequests_GetTheirStatus_AreCounted_AndStoreNothing()
    {
        await using var host = await StartAsync();
        var body = WebhookBodies.Inbound(Alice, "wamid.A1", DateTimeOffset.UtcNow);
        var tooBig = WebhookBodies.Envelope("\"padding\":\"" + new string('x', 70_000) + "\",\"messages\":[]");
        var noTimestamp = WebhookBodies.Envelope("\"messages\":[{\"from\":\"" + Alice + "\",\"id\":\"wamid.A2\",\"type\":\"text\"}]");

        var statuses = new[]
        {
            await PostAsync(host, body, signature: null),                                   // no signature
            await PostAsync(host, body, WebhookBodies.Sign(body, "another-app-secret")),     // signed with another secret
            await PostAsync(host, body, WebhookBodies.Sign(body + " ")),                     // signature of another body
            await PostAsync(host, "{\"object\":\"whatsapp_business_account\",\"entry\":[", WebhookBodies.Sign("{\"object\":\"whatsapp_business_account\",\"entry\":[")),
            await PostAsync(host, noTimestamp, WebhookBodies.Sign(noTimestamp)),
            await PostAsync(host, tooBig, WebhookBodies.Sign(tooBig)),
        };

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge],
            statuses);
        Assert.Equal(0, host.App.Services.GetRequiredService<SqliteStore>().CountInbox("wa"));
        var metrics = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(3, metrics.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "bad_signature")));
        Assert.Equal(2, metrics.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "malformed")));
        Assert.Equal(1, metrics.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "too_large")));
        Assert.Equal(0, metrics.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "accepted")));
    }

    [Fact]
    public async Task Deliveries_MakeConversations_FirstResponses_AndMessageStatuses_DuplicatesAndDisorderIncluded()
    {
        await using var host = await StartAsync();
        var t = DateTimeOffset.UtcNow.AddMinutes(-10);
        string[] deliveries =
        [
            WebhookBodies.Inbound(Alice, "wamid.in1", t),
            WebhookBodies.Inbound(Alice, "wamid.in1", t),                                   // Meta delivers again
            WebhookBodies.Status(Alice, "wamid.out1", "read", t.AddSeconds(125)),           // read before sent and delivered
            WebhookBodies.Status(Alice, "wamid.out1", "sent", t.AddSeconds(120)),
            WebhookBodies.Status(Alice, "wamid.out1", "delivered", t.AddSeconds(122)),
            WebhookBodies.Inbound(Bob, "wamid.in2", t.AddSeconds(60)),
            WebhookBodies.Status(Bob, "wamid.out2", "failed", t.AddSeconds(90), errorCode: 131047),
        ];
        var answers = new List<HttpStatusCode>();
        foreach (var body in deliveries)
        {
            answers.Add(await PostAsync(host, body, WebhookBodies.Sign(body)));
        }

        List<MetricsText.Sample> m = [];
        await CollectorHost.WaitUntilAsync(async () =>
        {
            m = MetricsText.Parse(await host.GetAsync("/metrics"));
            return m.Value("whatsapp_messages", ("source", "wa"), ("status", "read"), ("window", "1h")) == 1;
        }, TimeSpan.FromSeconds(30), "the deliveries to be processed");

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a));
        Assert.Equal(6, host.App.Services.GetRequiredService<SqliteStore>().CountInbox("wa")); // seven deliveries, the repeat not stored
        Assert.Equal(6, m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "accepted")));
        Assert.Equal(1, m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "duplicate")));
        Assert.Null(m.Value("whatsapp_messages", ("source", "wa"), ("status", "delivered"), ("window", "1h"))); // never counted below read
        Assert.Equal(1, m.Value("whatsapp_messages", ("source", "wa"), ("status", "failed"), ("window", "1h")));
        Assert.Equal(1, m.Value("whatsapp_message_failures", ("source", "wa"), ("error_code", "131047"), ("window", "1h")));
        var channel = new[] { ("source", "wa"), ("channel", "whatsapp"), ("window", "1h") };
        Assert.Equal(2, m.Value("helpdesk_tickets_created", channel));
        Assert.Equal(120, m.Value("helpdesk_first_response_seconds", [.. channel, ("stat", "mean"), ("responder", "all")]));
        Assert.Equal(1, m.Value("helpdesk_unanswered_tickets", ("source", "wa"), ("channel", "whatsapp"))); // Bob's reply failed
        Assert.Equal(1, m.Value("kpicollector_source_up", ("source", "wa"), ("platform", "whatsapp")));
        var watermark = m.Value("kpicollector_source_watermark_timestamp_seconds", ("source", "wa"))!.Value;
        Assert.InRange((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0) - watermark, 0, 60); // follows what was received (both in ms: whole seconds would put it 0.02 s in the future)
    }

    [Fact]
    public async Task AThreadWhoseServiceWindowEndedUnanswered_IsAbandoned()
    {
        await using var host = await StartAsync();
        var body = WebhookBodies.Inbound(Alice, "wamid.old", DateTimeOffset.UtcNow.AddHours(-25));

        Assert.Equal(HttpStatusCode.OK, await PostAsync(host, body, WebhookBodies.Sign(body)));

        await CollectorHost.WaitUntilAsync(async () =>
            MetricsText.Parse(await host.GetAsync("/metrics")).Value("helpdesk_abandonment_ratio", ("source", "wa"), ("channel", "whatsapp"), ("window", "24h")) == 1,
            TimeSpan.FromSeconds(30), "the unanswered thread to count as abandoned");
    }

    private static Task<CollectorHost> StartAsync() => CollectorHost.StartAsync(new Dictionary<string, string>
    {
        ["KpiCollector:Sources:0:Name"] = "wa",
        ["KpiCollector:Sources:0:Platform"] = "whatsapp",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:WhatsApp:WabaId"] = "102290129340398",
        ["KpiCollector:Sources:0:WhatsApp:Analytics"] = "false",
        ["KpiCollector:Sources:0:WhatsApp:AppSecret"] = WebhookBodies.AppSecret,
        ["KpiCollector:Sources:0:WhatsApp:VerifyToken"] = WebhookBodies.VerifyToken,
        ["KpiCollector:Sources:0:WhatsApp:MaxWebhookBytes"] = "65536",
        ["KpiCollector:RefreshInterval"] = "1s",
    });

    private static async Task<HttpStatusCode> PostAsync(CollectorHost host, string body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature);
        }

        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }
}
