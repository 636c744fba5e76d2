using System.Net;
using System.Net.Sockets;
using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Hosting;
using KpiCollector.Sources;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.WhatsApp;

/// <summary>
/// The webhook receiver against hostile senders, over raw sockets where a client library would be too polite:
/// unsigned bodies refused before they are read, a bound on bodies in flight, stalled senders cut off, chunked bodies
/// over the limit counted, invalid UTF-8 and implausible timestamps refused, damaged inbox rows survived, a flood
/// logged once a minute, and no secret in the request log.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class WhatsAppWebhookHardeningTests
{
    private const string Path = "/webhooks/whatsapp/wa";
    private const string Alice = "4915112345678";
    private static readonly string WellFormedForgery = "sha256=" + new string('a', 64);

    [Fact]
    public async Task AnUnsignedBody_IsRefusedBeforeAByteOfItIsRead()
    {
        using var logs = new LogCapture();
        await using var host = await StartAsync(logs);
        foreach (var signature in new string?[] { null, "sha256=not-hex", "sha1=" + new string('a', 40) })
        {
            // Headers announcing 4 MB, and not one byte of the body: the answer must come anyway.
            using var client = await ConnectAsync(host);
            var stream = client.GetStream();
            await WriteHeadersAsync(stream, signature, "Content-Length: 4000000");
            var status = await ReadStatusAsync(stream, TimeSpan.FromSeconds(10));
            Assert.Equal(401, status);
        }

        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(3, m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "bad_signature")));
        Assert.Equal(0, host.App.Services.GetRequiredService<SqliteStore>().CountInbox("wa"));
    }

    /// <summary>
    /// A request waiting for a body slot holds what Kestrel read ahead of it: 64 KiB, not the 1 MiB the socket
    /// transport and Kestrel buffer by default (128 waiting senders held 120 MiB that way; docs/performance.md,
    /// "Webhooks under attack").
    /// </summary>
    [Fact]
    public async Task KestrelReadsAheadOf_AWaitingRequest_64KiBAtMost()
    {
        using var logs = new LogCapture();
        await using var host = await StartAsync(logs);
        var services = host.App.Services;
        Assert.Equal(64 * 1024, services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>>().Value.MaxReadBufferSize);
        Assert.Equal(64 * 1024, services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits.MaxRequestBufferSize);
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimit_IsCountedTooLarge_AndLogsNoStackTrace()
    {
        using var logs = new LogCapture();
        await using var host = await StartAsync(logs);
        using var client = await ConnectAsync(host);
        var stream = client.GetStream();
        await WriteHeadersAsync(stream, WellFormedForgery, "Transfer-Encoding: chunked");
        var chunk = Encoding.ASCII.GetBytes(new string('x', 16 * 1024));
        try
        {
            for (var i = 0; i < 8; i++) // 128 KiB, twice the 64 KiB limit
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"));
                await stream.WriteAsync(chunk);
                await stream.WriteAsync("\r\n"u8.ToArray());
            }

            await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        }
        catch (IOException)
        {
            // the collector answered and closed while we were still sending
        }

        Assert.Equal(413, await ReadStatusAsync(stream, TimeSpan.FromSeconds(10)));
        await CollectorHost.WaitUntilAsync(async () =>
            MetricsText.Parse(await host.GetAsync("/metrics")).Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "too_large")) == 1,
            TimeSpan.FromSeconds(10), "the chunked body to be counted as too_large");
        Assert.DoesNotContain(logs.Entries, e => e.Exception is not null || e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task InvalidUtf8InAField_IsMalformed_Not500()
    {
        await using var host = await StartAsync();
        var text = WebhookBodies.Inbound(Alice, "wamid.U1", DateTimeOffset.UtcNow);
        var bytes = Encoding.UTF8.GetBytes(text).ToList();
        var at = Encoding.UTF8.GetBytes(text[..text.IndexOf("wamid.U1", StringComparison.Ordinal)]).Length;
        bytes.InsertRange(at, [0xC3, 0x28]); // a lead byte followed by no continuation byte
        var body = bytes.ToArray();

        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(host, body, Sign(body)));
        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(1, m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "malformed")));
        Assert.Equal(0, host.App.Services.GetRequiredService<SqliteStore>().CountInbox("wa"));
    }

    [Fact]
    public async Task ImplausibleTimestamps_AreRefusedAtTheDoor_PlausibleOnesAccepted()
    {
        await using var host = await StartAsync();
        var now = DateTimeOffset.UtcNow;
        string[] refused =
        [
            WebhookBodies.Inbound(Alice, "wamid.T1", now).Replace($"\"{now.ToUnixTimeSeconds()}\"", "\"99999999999999\"", StringComparison.Ordinal),
            WebhookBodies.Inbound(Alice, "wamid.T2", new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            WebhookBodies.Status(Alice, "wamid.T3", "read", now.AddDays(-45)),
        ];
        foreach (var body in refused)
        {
            Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(host, body));
        }

        var lateRetry = WebhookBodies.Inbound(Alice, "wamid.T4", now.AddDays(-6)); // Meta retries for up to seven days
        Assert.Equal(HttpStatusCode.OK, await PostAsync(host, lateRetry));
        Assert.Equal(1, host.App.Services.GetRequiredService<SqliteStore>().CountInbox("wa"));
        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(3, m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "malformed")));
    }

    [Fact]
    public async Task TooManyBodiesAtOnce_TheNextIsRefusedWith503AndRetryAfter_AndCounted()
    {
        await using var host = await StartAsync(extra: new() { ["KpiCollector:Sources:0:WhatsApp:MaxConcurrentWebhooks"] = "2", ["KpiCollector:Sources:0:WhatsApp:WebhookBodyTimeout"] = "30s" });
        var holders = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                // Signed-looking headers and part of the body, then nothing more for now: each holds a slot.
                var holder = await ConnectAsync(host);
                holders.Add(holder);
                await WriteHeadersAsync(holder.GetStream(), WellFormedForgery, "Content-Length: 60000");
                await holder.GetStream().WriteAsync(new byte[30_000]);
            }

            await CollectorHost.WaitUntilAsync(async () =>
            {
                using var response = await SendAsync(host, WebhookBodies.Inbound(Alice, "wamid.C1", DateTimeOffset.UtcNow));
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }

                Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
                return true;
            }, TimeSpan.FromSeconds(20), "a third body to be refused while two are being read");
        }
        finally
        {
            holders.ForEach(h => h.Dispose());
        }

        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.True(m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "overloaded")) >= 1);
        // Once the holders are gone, a delivery goes through again.
        await CollectorHost.WaitUntilAsync(async () =>
        {
            using var response = await SendAsync(host, WebhookBodies.Inbound(Alice, "wamid.C2", DateTimeOffset.UtcNow));
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(20), "the slots to be free again");
    }

    [Fact]
    public async Task ASenderThatStalls_IsCutOffAtTheBodyDeadline_AndCountedTooSlow()
    {
        await using var host = await StartAsync(extra: new() { ["KpiCollector:Sources:0:WhatsApp:WebhookBodyTimeout"] = "2s" });
        using var client = await ConnectAsync(host);
        var stream = client.GetStream();
        await WriteHeadersAsync(stream, WellFormedForgery, "Content-Length: 60000");
        var started = DateTime.UtcNow;
        // 10 KiB a second: above Kestrel's minimum data rate, so only the whole-body deadline stops it.
        var status = 0;
        var sender = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 6 && status == 0; i++)
                {
                    await stream.WriteAsync(new byte[10 * 1024]);
                    await Task.Delay(1000);
                }
            }
            catch (IOException)
            {
                // cut off
            }
        });
        status = await ReadStatusAsync(stream, TimeSpan.FromSeconds(20));
        await sender;

        Assert.Equal(408, status);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5.5), "the deadline, not the end of the body, ended the request");
        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(1, m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "too_slow")));
    }

    [Fact]
    public async Task AFloodOfForgeries_IsCountedInFull_AndLoggedOnce()
    {
        using var logs = new LogCapture();
        await using var host = await StartAsync(logs);
        var body = WebhookBodies.Inbound(Alice, "wamid.F1", DateTimeOffset.UtcNow);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(host, Encoding.UTF8.GetBytes(body), i % 2 == 0 ? null : WellFormedForgery));
        }

        var m = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(200, m.Value("kpicollector_webhook_requests_total", ("source", "wa"), ("outcome", "bad_signature")));
        var lines = logs.Entries.Where(e => e.Message.Contains("webhook rejected (bad_signature)", StringComparison.Ordinal)).ToList();
        Assert.Single(lines); // the first at once; the next in a minute, with the count
    }

    [Fact]
    public void TheRejectionLog_WritesOneLineAMinutePerOutcome_WithTheCountInBetween()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
        var log = new RejectionLog(clock);
        Assert.True(log.Take("bad_signature", out var first));
        Assert.Equal(0, first);
        for (var i = 0; i < 41; i++)
        {
            Assert.False(log.Take("bad_signature", out _));
        }

        Assert.True(log.Take("malformed", out _)); // each outcome has its own minute
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.True(log.Take("bad_signature", out var since));
        Assert.Equal(41, since);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task TheVerifyToken_NeverReachesTheRequestLog_EvenAtInformation()
    {
        using var dir = new TempDirectory();
        using var collector = CollectorProcess.Start(dir.Path, [
            "--Logging:LogLevel:Microsoft.AspNetCore=Information",
            "--KpiCollector:Sources:0:Name=wa",
            "--KpiCollector:Sources:0:Platform=whatsapp",
            "--KpiCollector:Sources:0:WhatsApp:WabaId=102290129340398",
            "--KpiCollector:Sources:0:WhatsApp:Analytics=false",
        ], new Dictionary<string, string>
        {
            ["KPICOLLECTOR__SOURCES__0__WHATSAPP__APPSECRET"] = WebhookBodies.AppSecret,
            ["KPICOLLECTOR__SOURCES__0__WHATSAPP__VERIFYTOKEN"] = "vt-Secret-8d1e0c",
        });
        await collector.WaitReadyAsync(TimeSpan.FromSeconds(60));

        using var ok = await collector.Http.GetAsync($"{Path}?hub.mode=subscribe&hub.verify_token=vt-Secret-8d1e0c&hub.challenge=77");
        using var wrong = await collector.Http.GetAsync($"{Path}?hub.challenge=78&hub.verify_token=guess-Secret-1&hub.mode=subscribe");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(0, collector.Terminate(TimeSpan.FromSeconds(30)));

        var output = collector.Output;
        Assert.Contains("Request starting", output, StringComparison.Ordinal); // the request log is on
        Assert.Contains("hub.verify_token=***", output, StringComparison.Ordinal);
        Assert.DoesNotContain("vt-Secret-8d1e0c", output, StringComparison.Ordinal);
        Assert.DoesNotContain("guess-Secret-1", output, StringComparison.Ordinal);
        Assert.DoesNotContain(WebhookBodies.AppSecret, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /w?hub.mode=subscribe&hub.verify_token=abc&hub.challenge=1", "GET /w?hub.mode=subscribe&hub.verify_token=***&hub.challenge=1")]
    [InlineData("https://x.test/api?access_token=EAAG12&fields=id", "https://x.test/api?access_token=***&fields=id")]
    [InlineData("?api_key=k1;password=p2 done", "?api_key=***;password=*** done")]
    [InlineData("nothing secret here: a=b&page=2", "nothing secret here: a=b&page=2")]
    public void Redact_MasksCredentialLikeQueryParameters(string text, string expected) =>
        Assert.Equal(expected, RedactingLoggerProvider.Redact(text));

    [Fact]
    public async Task DamagedOrImplausibleInboxRows_AreSkipped_TheRestReplaysOnce_AndNewDeliveriesAreAccepted()
    {
        var t = new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(t);
        using var dir = new TempDirectory();
        using var store = new SqliteStore(dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        // What an earlier version could have stored, and what a damaged disk can hold, between two good deliveries.
        store.AppendToInbox("wa", t.AddMinutes(-10), WhatsAppInbox.Serialize([new WebhookEvent(WebhookEvent.Message, "wamid.good1", WebhookBodies.PhoneNumberId, "wa-aaaa", t.AddMinutes(-10).ToUnixTimeSeconds())]));
        store.AppendToInbox("wa", t.AddMinutes(-9), WhatsAppInbox.Serialize([new WebhookEvent(WebhookEvent.Message, "wamid.far", WebhookBodies.PhoneNumberId, "wa-bbbb", 99_999_999_999_999)]));
        store.AppendToInbox("wa", t.AddMinutes(-8), WhatsAppInbox.Serialize([new WebhookEvent(WebhookEvent.Message, "wamid.2200", WebhookBodies.PhoneNumberId, "wa-cccc", new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds())]));
        store.AppendToInbox("wa", t.AddMinutes(-7), "{\"not\":\"a list\"");
        store.AppendToInbox("wa", t.AddMinutes(-6), "[{\"Kind\":\"message\"}]");
        store.AppendToInbox("wa", t.AddMinutes(-5), WhatsAppInbox.Serialize([new WebhookEvent(WebhookEvent.Status, "wamid.reply1", WebhookBodies.PhoneNumberId, "wa-aaaa", t.AddMinutes(-4).ToUnixTimeSeconds(), "sent")]));

        string cursor;
        using (var first = WhatsAppTestSource.Create(store, clock))
        {
            var batches = await WhatsAppTestSource.DrainAsync(first, null);
            var conversation = Assert.Single(batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).Select(g => g.Last()));
            Assert.Equal(("wamid.good1", t.AddMinutes(-4)), (conversation.ExternalId, conversation.FirstResponseAt));
            foreach (var b in batches)
            {
                store.Apply("wa", b, t);
            }

            cursor = batches[^1].Cursor;
            var body = WebhookBodies.Inbound(Alice, "wamid.new", t.AddMinutes(-1));
            Assert.Equal(WebhookOutcomes.Accepted, first.Receiver!.Receive(Encoding.UTF8.GetBytes(body), WebhookBodies.Sign(body)));
        }

        using var restarted = WhatsAppTestSource.Create(store, clock); // a new process replays the inbox into its threads
        var resumed = await WhatsAppTestSource.DrainAsync(restarted, cursor);
        var fresh = Assert.Single(resumed.SelectMany(b => b.Conversations));
        Assert.Equal("wamid.new", fresh.ExternalId); // the replayed ones are not counted again
    }

    private static Task<CollectorHost> StartAsync(LogCapture? logs = null, Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
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
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        return CollectorHost.StartAsync(settings, logs is null ? null : s => s.AddSingleton<ILoggerProvider>(logs));
    }

    private static string Sign(byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookBodies.AppSecret), body));

    private static Task<HttpStatusCode> PostAsync(CollectorHost host, string body) => PostAsync(host, Encoding.UTF8.GetBytes(body), WebhookBodies.Sign(body));

    private static async Task<HttpStatusCode> PostAsync(CollectorHost host, byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(body) };
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature);
        }

        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> SendAsync(CollectorHost host, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Hub-Signature-256", WebhookBodies.Sign(body));
        return await host.Http.SendAsync(request);
    }

    private static async Task<TcpClient> ConnectAsync(CollectorHost host)
    {
        var client = new TcpClient();
        await client.ConnectAsync(host.Http.BaseAddress!.Host, host.Http.BaseAddress.Port);
        return client;
    }

    private static async Task WriteHeadersAsync(NetworkStream stream, string? signature, string framing)
    {
        var head = new StringBuilder($"POST {Path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{framing}\r\n");
        if (signature is not null)
        {
            head.Append("X-Hub-Signature-256: ").Append(signature).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
    }

    /// <summary>The status code of the response's first line, read within <paramref name="timeout"/>.</summary>
    private static async Task<int> ReadStatusAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        var line = new StringBuilder();
        while (!line.ToString().Contains("\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(read > 0, $"the connection closed before a status line: '{line}'");
            line.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var first = line.ToString()[..line.ToString().IndexOf("\r\n", StringComparison.Ordinal)];
        Assert.StartsWith("HTTP/1.1 ", first, StringComparison.Ordinal);
        return int.Parse(first.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }
}
