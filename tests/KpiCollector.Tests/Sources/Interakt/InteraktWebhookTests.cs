using System.Net;
using System.Net.Sockets;
using System.Text;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Tests.Sources.Interakt;

/// <summary>
/// Interakt's webhooks over real HTTP in the real collector: the <c>Interakt-Signature</c> over the raw body, the
/// refusals that store nothing (forged, unsigned, oversized, malformed, implausible), the unsigned refused before a
/// byte of the body is read, a bound on bodies at once, deduplication, statuses out of order, and the KPIs.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class InteraktWebhookTests
{
    private const string Path = "/webhooks/interakt/ik";
    private const string Asha = "917003705584";
    private const string Ravi = "919831000111";

    [Fact]
    public async Task ForgedUnsignedOversizedMalformedAndImplausibleDeliveries_GetTheirStatus_AreCounted_AndStoreNothing()
    {
        await using var host = await StartAsync();
        var now = DateTimeOffset.UtcNow;
        var body = InteraktBodies.Inbound(Asha, "in-1", now);
        var tooBig = body.Replace("\"meta_data\":{}", "\"meta_data\":{\"padding\":\"" + new string('x', 70_000) + "\"}", StringComparison.Ordinal);
        const string truncated = "{\"version\":\"1.0\",\"type\":\"message_received\",\"data\":{";
        var future = InteraktBodies.Inbound(Asha, "in-2", new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var stale = InteraktBodies.Status(Asha, "out-9", "read", now.AddDays(-45));

        var statuses = new[]
        {
            await PostAsync(host, body, signature: null),                                       // unsigned
            await PostAsync(host, body, InteraktBodies.Sign(body, "another-secret")),            // forged: another key
            await PostAsync(host, body, InteraktBodies.Sign(body + " ")),                        // the signature of another body
            await PostAsync(host, body, InteraktBodies.Sign(body), header: "X-Hub-Signature-256"), // Meta's header is not Interakt's
            await PostAsync(host, truncated, InteraktBodies.Sign(truncated)),
            await PostAsync(host, future, InteraktBodies.Sign(future)),
            await PostAsync(host, stale, InteraktBodies.Sign(stale)),
            await PostAsync(host, tooBig, InteraktBodies.Sign(tooBig)),
        };

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized,
             HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge],
            statuses);
        Assert.Equal(0, host.App.Services.GetRequiredService<SqliteStore>().CountInbox("ik"));
        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(4, m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "bad_signature")));
        Assert.Equal(3, m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "malformed")));
        Assert.Equal(1, m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "too_large")));
        Assert.Equal(0, m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "accepted")));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(host, body, InteraktBodies.Sign(body), path: "/webhooks/interakt/nosuch"));
    }

    [Fact]
    public async Task AnUnsignedBody_IsRefusedBeforeAByteOfItIsRead()
    {
        await using var host = await StartAsync();
        foreach (var signature in new string?[] { null, "sha256=not-hex", "sha1=" + new string('a', 40) })
        {
            // Headers announcing 4 MB and not one byte of the body: the answer must come anyway.
            using var client = new TcpClient();
            await client.ConnectAsync(host.Http.BaseAddress!.Host, host.Http.BaseAddress.Port);
            var stream = client.GetStream();
            var head = new StringBuilder($"POST {Path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n");
            if (signature is not null)
            {
                head.Append("Interakt-Signature: ").Append(signature).Append("\r\n");
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cts.Token);
            Assert.StartsWith("HTTP/1.1 401", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
        }

        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(3, m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "bad_signature")));
    }

    [Fact]
    public async Task TooManyBodiesAtOnce_TheNextIsRefusedWith503AndRetryAfter()
    {
        await using var host = await StartAsync(new() { ["KpiCollector:Sources:0:Interakt:MaxConcurrentWebhooks"] = "1", ["KpiCollector:Sources:0:Interakt:WebhookBodyTimeout"] = "30s" });
        using (var holder = new TcpClient())
        {
            // A well-formed signature and half a body, then nothing: it holds the only slot.
            await holder.ConnectAsync(host.Http.BaseAddress!.Host, host.Http.BaseAddress.Port);
            await holder.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"POST {Path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60000\r\nInterakt-Signature: sha256={new string('a', 64)}\r\n\r\n"));
            await holder.GetStream().WriteAsync(new byte[30_000]);
            await CollectorHost.WaitUntilAsync(async () =>
            {
                var body = InteraktBodies.Inbound(Asha, "in-c1", DateTimeOffset.UtcNow);
                using var request = Request(body, InteraktBodies.Sign(body));
                using var response = await host.Http.SendAsync(request);
                return response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.GetValues("Retry-After").Single() == "5";
            }, TimeSpan.FromSeconds(20), "a second body to be refused while one is being read");
        }

        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.True(m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "overloaded")) >= 1);
    }

    [Fact]
    public async Task Deliveries_MakeConversations_FirstResponses_AndMessageStatuses_DuplicatesAndDisorderIncluded()
    {
        await using var host = await StartAsync();
        var t = DateTimeOffset.UtcNow.AddMinutes(-10);
        string[] deliveries =
        [
            InteraktBodies.Inbound(Asha, "in-1", t),
            InteraktBodies.Inbound(Asha, "in-1", t),                                           // Interakt delivers again
            InteraktBodies.Status(Asha, "out-1", "read", t.AddSeconds(120)),                     // read before sent and delivered
            InteraktBodies.Status(Asha, "out-1", "sent", t.AddSeconds(120)),
            InteraktBodies.Status(Asha, "out-1", "delivered", t.AddSeconds(120)),
            InteraktBodies.Status(Asha, "out-1", "clicked", t.AddSeconds(120)),                  // a button click: no event
            InteraktBodies.Inbound(Ravi, "in-2", t.AddSeconds(60)),
            InteraktBodies.Status(Ravi, "out-2", "failed", t.AddSeconds(90), errorCode: "131047"),
        ];
        var answers = new List<HttpStatusCode>();
        foreach (var body in deliveries)
        {
            answers.Add(await PostAsync(host, body, InteraktBodies.Sign(body)));
        }

        List<MetricsText.Sample> m = [];
        await CollectorHost.WaitUntilAsync(async () =>
        {
            m = MetricsText.Parse(await host.GetAsync("/metrics"));
            return m.Value("whatsapp_messages", ("source", "ik"), ("status", "read"), ("window", "1h")) == 1
                && m.Value("whatsapp_messages", ("source", "ik"), ("status", "failed"), ("window", "1h")) == 1;
        }, TimeSpan.FromSeconds(30), "the deliveries to be processed");

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a));
        Assert.Equal(6, host.App.Services.GetRequiredService<SqliteStore>().CountInbox("ik")); // the repeat and the click are not stored
        Assert.Equal(7, m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "accepted")));
        Assert.Equal(1, m.Value("kpicollector_webhook_requests_total", ("source", "ik"), ("outcome", "duplicate")));
        Assert.Null(m.Value("whatsapp_messages", ("source", "ik"), ("status", "delivered"), ("window", "1h"))); // never counted below read
        Assert.Equal(1, m.Value("whatsapp_message_failures", ("source", "ik"), ("error_code", "131047"), ("window", "1h")));
        var channel = new[] { ("source", "ik"), ("channel", "whatsapp"), ("window", "1h") };
        Assert.Equal(2, m.Value("helpdesk_tickets_created", channel));
        Assert.Equal(120, m.Value("helpdesk_first_response_seconds", [.. channel, ("stat", "mean"), ("responder", "all")]));
        Assert.Equal(1, m.Value("helpdesk_unanswered_tickets", ("source", "ik"), ("channel", "whatsapp"))); // Ravi's reply failed
        Assert.Equal(1, m.Value("kpicollector_source_up", ("source", "ik"), ("platform", "interakt")));
        Assert.Empty(m.Find("whatsapp_conversations", ("source", "ik"))); // Interakt reports no conversation analytics: absent, not 0
        Assert.Empty(m.Find("whatsapp_cost", ("source", "ik")));
    }

    [Fact]
    public async Task AThreadWhoseServiceWindowEndedUnanswered_IsAbandoned()
    {
        await using var host = await StartAsync();
        var body = InteraktBodies.Inbound(Asha, "in-old", DateTimeOffset.UtcNow.AddHours(-25));

        Assert.Equal(HttpStatusCode.OK, await PostAsync(host, body, InteraktBodies.Sign(body)));

        await CollectorHost.WaitUntilAsync(async () =>
            MetricsText.Parse(await host.GetAsync("/metrics")).Value("helpdesk_abandonment_ratio", ("source", "ik"), ("channel", "whatsapp"), ("window", "24h")) == 1,
            TimeSpan.FromSeconds(30), "the unanswered thread to count as abandoned");
    }

    private static Task<CollectorHost> StartAsync(Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "ik",
            ["KpiCollector:Sources:0:Platform"] = "interakt",
            ["KpiCollector:Sources:0:Interval"] = "1s",
            ["KpiCollector:Sources:0:Interakt:SecretKey"] = InteraktBodies.SecretKey,
            ["KpiCollector:Sources:0:Interakt:MaxWebhookBytes"] = "65536",
            ["KpiCollector:RefreshInterval"] = "1s",
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        return CollectorHost.StartAsync(settings);
    }

    private static HttpRequestMessage Request(string body, string? signature, string header = "Interakt-Signature", string path = Path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.Add(header, signature);
        }

        return request;
    }

    private static async Task<HttpStatusCode> PostAsync(CollectorHost host, string body, string? signature, string header = "Interakt-Signature", string path = Path)
    {
        using var request = Request(body, signature, header, path);
        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }
}
