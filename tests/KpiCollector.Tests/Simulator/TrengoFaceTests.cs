using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using KpiCollector.Simulator.Faces.Trengo;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The Trengo face as Trengo documents it: 25 tickets a page in the <c>{ data, links, meta }</c> carrier, sorted by
/// the last message date or filtered by <c>updated_at_gt</c>, each ticket's messages with contact, bot and agent
/// authors and internal notes, a wrong token refused with 401, and the per-token budget answered with 429 and
/// <c>Retry-After</c> once spent, until the next minute.
/// </summary>
public sealed class TrengoFaceTests
{
    private const string Bearer = "Bearer simulator-trengo-token";
    private readonly FakeTimeProvider _clock = new(Records.T0);

    [Fact]
    public async Task Tickets_ArePagedBy25_AndTheirMessagesTellContactBotAndAgentApart()
    {
        await using var simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h", "Simulator:Trengo:RequestsPerMinute=100000");
        var since = Records.T0.AddHours(-1).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

        var (status, _, page) = await GetAsync(simulator, $"trengo/api/v2/tickets?sort=updated_at&updated_at_gt={Uri.EscapeDataString(since)}&page=1", Bearer);

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = page!["data"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(TrengoFace.TicketsPerPage, rows.Count);
        Assert.Equal((1, 25), (page["meta"]!["current_page"]!.GetValue<int>(), page["meta"]!["per_page"]!.GetValue<int>()));
        Assert.True(page["meta"]!["last_page"]!.GetValue<int>() > 1);
        Assert.EndsWith("page=2", page["links"]!["next"]!.GetValue<string>(), StringComparison.Ordinal);
        var updated = rows.Select(r => At(r["updated_at"])).ToList();
        Assert.Equal(updated.Order(), updated);
        Assert.All(updated, u => Assert.True(u > Records.T0.AddHours(-1)));
        Assert.All(rows, r => Assert.Contains(r["status"]!.GetValue<string>(), new[] { "OPEN", "ASSIGNED", "CLOSED" }));
        Assert.All(rows, r => Assert.NotNull(r["channel"]!["type"]));

        var (_, _, all) = await GetAsync(simulator, "trengo/api/v2/tickets?page=1", Bearer); // -date by default
        var ids = new List<long>();
        for (var p = 1; p <= all!["meta"]!["last_page"]!.GetValue<int>(); p++)
        {
            ids.AddRange((await GetAsync(simulator, $"trengo/api/v2/tickets?page={p}", Bearer)).Body!["data"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()));
        }

        Assert.Equal(all["meta"]!["total"]!.GetValue<int>(), ids.Distinct().Count());
        var messages = new List<JsonObject>();
        foreach (var id in ids.Take(80))
        {
            var (ok, _, body) = await GetAsync(simulator, $"trengo/api/v2/tickets/{id}/messages?per_page=50", Bearer);
            Assert.Equal(HttpStatusCode.OK, ok);
            var list = body!["data"]!.AsArray().Select(m => m!.AsObject()).ToList();
            Assert.Equal("INBOUND", list[0]["type"]!.GetValue<string>());
            Assert.Equal(list.Select(m => At(m["created_at"])).Order(), list.Select(m => At(m["created_at"])));
            messages.AddRange(list);
        }

        Assert.Contains(messages, m => m["type"]!.GetValue<string>() == "OUTBOUND" && m["user_id"] is null); // a bot's
        Assert.Contains(messages, m => m["type"]!.GetValue<string>() == "OUTBOUND" && m["user_id"] is not null); // an agent's
        Assert.Contains(messages, m => m["type"]!.GetValue<string>() == "NOTE");
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(simulator, "trengo/api/v2/tickets/999999999/messages", Bearer)).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await GetAsync(simulator, "trengo/api/v2/tickets?sort=priority", Bearer)).Status);
        var (refused, _, error) = await GetAsync(simulator, "trengo/api/v2/tickets", "Bearer wrong");
        Assert.Equal((HttpStatusCode.Unauthorized, "Unauthenticated."), (refused, error!["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TheBudget_Answers429WithRetryAfter_OnceSpent_AndTheNextMinuteIsServed()
    {
        _clock.SetUtcNow(new DateTimeOffset(2026, 11, 5, 10, 0, 15, TimeSpan.Zero));
        await using var simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=1h", "Simulator:Trengo:RequestsPerMinute=5");

        for (var i = 0; i < 5; i++)
        {
            var (ok, headers, _) = await GetAsync(simulator, "trengo/api/v2/tickets", Bearer);
            Assert.Equal(HttpStatusCode.OK, ok);
            Assert.Equal(("5", (4 - i).ToString(CultureInfo.InvariantCulture)), (headers["x-ratelimit-limit"], headers["x-ratelimit-remaining"]));
        }

        var (limited, limitHeaders, body) = await GetAsync(simulator, "trengo/api/v2/tickets", Bearer);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited);
        Assert.Equal("45", limitHeaders["retry-after"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 5, 10, 1, 0, TimeSpan.Zero).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), limitHeaders["x-ratelimit-reset"]);
        Assert.Equal("Too Many Attempts.", body!["message"]!.GetValue<string>());
        Assert.Equal(1, simulator.Service<TrengoFace>().Throttled);

        _clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(simulator, "trengo/api/v2/tickets", Bearer)).Status);
    }

    private static DateTimeOffset At(JsonNode? node) =>
        DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static async Task<(HttpStatusCode Status, Dictionary<string, string> Headers, JsonNode? Body)> GetAsync(SimulatorHost simulator, string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await simulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var headers = response.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        return (response.StatusCode, headers, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
