using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>The simulator acting as Meta: the verification handshake, signed deliveries, retries, duplicates and reorders, against a loopback receiver.</summary>
public sealed class WhatsAppWebhookPosterTests
{
    private const string Secret = "test-app-secret";
    private const string VerifyToken = "test-verify-token";
    private static readonly DateTimeOffset T0 = Records.T0;
    private static readonly string[] StatusRank = ["sent", "delivered", "read"];
    private readonly FakeTimeProvider _clock = new(T0);

    [Fact]
    public async Task Registration_DoesTheHandshake_AndIsRefusedWhenTheReceiverGetsTheChallengeWrong()
    {
        await using var simulator = await Start(0, 0);
        await using var receiver = await WebhookReceiver.StartAsync();

        receiver.Challenge = _ => "not-the-challenge";
        using var refused = await Register(simulator, receiver);
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("instead of the challenge", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await State(simulator))["registered"]!.GetValue<bool>());

        receiver.Challenge = c => c;
        using var accepted = await Register(simulator, receiver);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.True((await State(simulator))["registered"]!.GetValue<bool>());
        var handshake = receiver.Handshakes.Last();
        Assert.Equal("subscribe", handshake["hub.mode"]);
        Assert.Equal(VerifyToken, handshake["hub.verify_token"]);
        Assert.Matches("^[0-9]+$", handshake["hub.challenge"]);

        using var bad = await simulator.Http.PutAsJsonAsync("_sim/whatsapp/webhook", new { url = "not a url" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        (await simulator.Http.DeleteAsync("_sim/whatsapp/webhook")).EnsureSuccessStatusCode();
        Assert.False((await State(simulator))["registered"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AConfiguredWebhook_RetriesTheHandshakeUntilTheReceiverAnswersIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Challenge = _ => "wrong";
        await using var simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=2h", "Simulator:WhatsApp:PostInterval=1s", $"Simulator:WhatsApp:WebhookUrl={receiver.Url}");

        await Eventually(() => Task.FromResult(receiver.Handshakes.Count >= 1));
        receiver.Challenge = c => c;
        await Eventually(async () => (await State(simulator))["registered"]!.GetValue<bool>());
        Assert.True(receiver.Handshakes.Count >= 2);
    }

    [Fact]
    public async Task Deliveries_AreSignedEnvelopes_WithStringTimestamps_InOrder_WithoutDuplicates_AtSharesOfZero()
    {
        await using var simulator = await Start(0, 0);
        await using var receiver = await WebhookReceiver.StartAsync();
        (await Register(simulator, receiver)).EnsureSuccessStatusCode();

        await AdvanceAndDrain(simulator, TimeSpan.FromMinutes(20));

        var posts = receiver.Posts.ToList();
        Assert.True(posts.Count > 10, $"only {posts.Count} deliveries");
        Assert.All(posts, p => Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), p.Body)), p.Signature));
        Assert.All(posts, p => Assert.Equal("application/json", p.ContentType));
        Assert.Equal(posts.Count, posts.Select(p => Convert.ToHexString(p.Body)).Distinct().Count());

        var values = posts.Select(p => Value(p.Body)).ToList();
        var messages = values.SelectMany(v => v["messages"]?.AsArray() ?? []).ToList();
        var statuses = values.SelectMany(v => v["statuses"]?.AsArray() ?? []).ToList();
        Assert.NotEmpty(messages);
        Assert.NotEmpty(statuses);
        Assert.All(values.Where(v => v["messages"] is not null), v =>
            Assert.Equal(v["contacts"]![0]!["wa_id"]!.GetValue<string>(), v["messages"]![0]!["from"]!.GetValue<string>()));
        Assert.All(messages, m =>
        {
            Assert.Equal("text", m!["type"]!.GetValue<string>());
            Assert.StartsWith("wamid.", m["id"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(m["text"]!["body"]!.GetValue<string>()));
        });
        Assert.All(messages.Concat(statuses), e =>
        {
            var timestamp = e!["timestamp"]!;
            Assert.Equal(System.Text.Json.JsonValueKind.String, timestamp.GetValueKind());
            Assert.True(long.Parse(timestamp.GetValue<string>(), CultureInfo.InvariantCulture) >= T0.ToUnixTimeSeconds());
        });
        Assert.All(statuses, s =>
        {
            Assert.Matches("^4915[0-9]{9}$", s!["recipient_id"]!.GetValue<string>());
            Assert.Null(s["conversation"]);
            if (s["status"]!.GetValue<string>() is "delivered" or "read")
            {
                Assert.Equal("free_customer_service", s["pricing"]!["type"]!.GetValue<string>());
                Assert.Equal("PMP", s["pricing"]!["pricing_model"]!.GetValue<string>());
            }

            if (s["status"]!.GetValue<string>() == "failed")
            {
                Assert.True(s["errors"]![0]!["code"]!.GetValue<int>() is 131047 or 131026);
            }
        });

        foreach (var (_, sequence) in StatusesByMessage(statuses))
        {
            Assert.Equal(sequence.Select(s => s.Rank).Order(), sequence.Select(s => s.Rank));
            Assert.Equal(sequence.Select(s => s.Timestamp).Order(), sequence.Select(s => s.Timestamp));
        }

        var state = await State(simulator);
        Assert.Equal(0, state["duplicates"]!.GetValue<int>());
        Assert.Equal(0, state["reordered"]!.GetValue<int>());
        Assert.Equal(messages.Count + statuses.Count, state["events"]!.GetValue<int>());
    }

    [Fact]
    public async Task ADeliveryAnswered500_IsRetried_WithTheSameBytes_ThenAcknowledged()
    {
        await using var simulator = await Start(0, 0);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailFirst = 1;
        (await Register(simulator, receiver)).EnsureSuccessStatusCode();

        await AdvanceAndDrain(simulator, TimeSpan.FromMinutes(5));

        var rejected = Assert.Single(receiver.Rejected);
        Assert.Equal(rejected, receiver.Posts.First().Body);
        var state = await State(simulator);
        Assert.Equal(1, state["failedAttempts"]!.GetValue<int>());
        Assert.Equal(receiver.Posts.Count, state["acknowledged"]!.GetValue<int>());
        Assert.Equal(receiver.Posts.Count + 1, state["posted"]!.GetValue<int>());
    }

    [Fact]
    public async Task AtSharesOfOne_EveryDeliveryComesTwice_AndEveryMessagesLastStatusOvertakesTheOneBefore()
    {
        await using var simulator = await Start(1, 1);
        await using var receiver = await WebhookReceiver.StartAsync();
        (await Register(simulator, receiver)).EnsureSuccessStatusCode();

        await AdvanceAndDrain(simulator, TimeSpan.FromMinutes(20));
        // The duplicates of the last deliveries come up to 20 s later. A slow receiver from here on keeps the pump
        // posting them long after it took them from its queue: drained must still mean every one was posted.
        receiver.Delay = TimeSpan.FromMilliseconds(200);
        await AdvanceAndDrain(simulator, TimeSpan.FromSeconds(30));

        var copies = receiver.Posts.GroupBy(p => Convert.ToHexString(p.Body)).Select(g => g.Count()).ToList();
        Assert.All(copies, c => Assert.InRange(c, 1, 2));
        var twice = copies.Count(c => c == 2);
        Assert.True(twice >= copies.Count * 0.9, $"{twice} of {copies.Count} deliveries came twice");
        var state = await State(simulator);
        Assert.Equal(twice, state["duplicates"]!.GetValue<int>());

        var firstCopies = receiver.Posts.DistinctBy(p => Convert.ToHexString(p.Body)).Select(p => Value(p.Body));
        var byMessage = StatusesByMessage([.. firstCopies.SelectMany(v => v["statuses"]?.AsArray() ?? [])]).Where(m => m.Value.Count >= 2).ToList();
        Assert.NotEmpty(byMessage);
        Assert.All(byMessage, m => Assert.True(m.Value[^1].Rank < m.Value[^2].Rank, string.Join(",", m.Value.Select(s => s.Rank))));
        Assert.Equal(byMessage.Count, state["reordered"]!.GetValue<int>());
    }

    [Fact]
    public async Task TwoRunsWithTheSameSeed_PostTheSameIdsAndTimestamps()
    {
        await using var first = await Start(0, 0);
        await using var second = await Start(0, 0);
        await using var receiverA = await WebhookReceiver.StartAsync();
        await using var receiverB = await WebhookReceiver.StartAsync();
        (await Register(first, receiverA)).EnsureSuccessStatusCode();
        (await Register(second, receiverB)).EnsureSuccessStatusCode();

        _clock.Advance(TimeSpan.FromMinutes(10));
        await Drained(first);
        await Drained(second);

        Assert.NotEmpty(receiverA.Posts);
        Assert.Equal(Events(receiverA), Events(receiverB));

        static List<string> Events(WebhookReceiver r) => [.. r.Posts
            .Select(p => Value(p.Body))
            .SelectMany(v => (v["messages"]?.AsArray() ?? []).Concat(v["statuses"]?.AsArray() ?? []))
            .Select(e => $"{e!["id"]}|{e["status"]}|{e["timestamp"]}|{e["from"]}{e["recipient_id"]}")
            .Order(StringComparer.Ordinal)];
    }

    private Task<SimulatorHost> Start(double duplicateShare, double reorderShare) => SimulatorHost.StartAsync(
        _clock,
        "Simulator:Backfill=2h",
        "Simulator:WhatsApp:PostInterval=1s",
        "Simulator:WhatsApp:DuplicateShare=" + duplicateShare.ToString(CultureInfo.InvariantCulture),
        "Simulator:WhatsApp:ReorderShare=" + reorderShare.ToString(CultureInfo.InvariantCulture));

    private static Task<HttpResponseMessage> Register(SimulatorHost simulator, WebhookReceiver receiver) =>
        simulator.Http.PutAsJsonAsync("_sim/whatsapp/webhook", new { url = receiver.Url, appSecret = Secret, verifyToken = VerifyToken });

    private static async Task<JsonNode> State(SimulatorHost simulator) => JsonNode.Parse(await simulator.Http.GetStringAsync("_sim/whatsapp/webhook"))!;

    private async Task AdvanceAndDrain(SimulatorHost simulator, TimeSpan by)
    {
        _clock.Advance(by);
        await Drained(simulator);
    }

    /// <summary>Waits until the poster has posted everything due by the fake clock's current time.</summary>
    private async Task Drained(SimulatorHost simulator)
    {
        var now = _clock.GetUtcNow();
        JsonNode? state = null;
        await Eventually(async () =>
        {
            state = await State(simulator);
            return state["pumpedTo"] is { } pumped && DateTimeOffset.Parse(pumped.GetValue<string>(), CultureInfo.InvariantCulture) >= now && state["due"]!.GetValue<int>() == 0;
        }, () => $"drained to {now:O}; the poster says {state?.ToJsonString()}");
    }

    private static async Task Eventually(Func<Task<bool>> condition, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the webhook poster" + (describe is null ? "" : $": {describe()}"));
            await Task.Delay(100);
        }
    }

    private static JsonNode Value(byte[] body)
    {
        var root = JsonNode.Parse(body)!;
        Assert.Equal("whatsapp_business_account", root["object"]!.GetValue<string>());
        var entry = Assert.Single(root["entry"]!.AsArray())!;
        Assert.Equal("102290129340398", entry["id"]!.GetValue<string>());
        var change = Assert.Single(entry["changes"]!.AsArray())!;
        Assert.Equal("messages", change["field"]!.GetValue<string>());
        var value = change["value"]!;
        Assert.Equal("whatsapp", value["messaging_product"]!.GetValue<string>());
        Assert.Equal("106540352242922", value["metadata"]!["phone_number_id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(value["metadata"]!["display_phone_number"]!.GetValue<string>()));
        return value;
    }

    /// <summary>Each message's sent/delivered/read statuses in posting order (failed ones left out), with their rank and timestamp.</summary>
    private static Dictionary<string, List<(int Rank, long Timestamp)>> StatusesByMessage(IEnumerable<JsonNode?> statuses) =>
        statuses
            .Where(s => s!["status"]!.GetValue<string>() != "failed")
            .GroupBy(s => s!["id"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Select(s => (
                Array.IndexOf(StatusRank, s!["status"]!.GetValue<string>()),
                long.Parse(s["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture))).ToList());

    /// <summary>A webhook receiver on a free loopback port: answers the handshake (as told), records every POST's bytes and signature.</summary>
    private sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _failFirst;

        private WebhookReceiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public Func<string, string> Challenge { get; set; } = c => c;

        public int FailFirst
        {
            set => _failFirst = value;
        }

        public ConcurrentQueue<Dictionary<string, string>> Handshakes { get; } = new();

        public ConcurrentQueue<(byte[] Body, string? Signature, string? ContentType)> Posts { get; } = new();

        public ConcurrentQueue<byte[]> Rejected { get; } = new();

        /// <summary>How long each accepted POST waits, once recorded, before its answer.</summary>
        public TimeSpan Delay { get; set; }

        public static async Task<WebhookReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new WebhookReceiver(app);
            app.MapGet("/hook", (HttpRequest request) =>
            {
                receiver.Handshakes.Enqueue(request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()));
                return Results.Text(receiver.Challenge(request.Query["hub.challenge"].ToString()));
            });
            app.MapPost("/hook", async (HttpRequest request) =>
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                if (Interlocked.Decrement(ref receiver._failFirst) >= 0)
                {
                    receiver.Rejected.Enqueue(buffer.ToArray());
                    return Results.StatusCode(StatusCodes.Status500InternalServerError);
                }

                receiver.Posts.Enqueue((buffer.ToArray(), request.Headers["X-Hub-Signature-256"].ToString(), request.ContentType));
                if (receiver.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(receiver.Delay);
                }

                return Results.Ok();
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            receiver.Url = address.TrimEnd('/') + "/hook";
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
