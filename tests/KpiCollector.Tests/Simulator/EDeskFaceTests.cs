using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using KpiCollector.Simulator.Faces.EDesk;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The eDesk face as eDesk documents its Open API: the tickets list with the date-only <c>filter_last_updated_at_gte</c>
/// in the account's time zone, <c>order_by</c>, <c>page</c>/<c>itemsPerPage</c> and the paginator; one message at a
/// time, the last at the ticket's <c>last_updated_at</c>; the channels; Bearer tokens; and the token-bucket rate limit.
/// </summary>
public sealed class EDeskFaceTests : IAsyncLifetime
{
    private const string Bearer = "Bearer simulator-edesk-token";
    private readonly FakeTimeProvider _clock = new(Records.T0); // 04:00 on 2 November in New York
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h", "Simulator:EDesk:Burst=40");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task TheTicketsList_FiltersOnTheAccountsDay_OrdersAndPages_AndEachMessageIsServedAlone()
    {
        var (status, page) = await GetAsync("edesk/v1/tickets?filter_last_updated_at_gte=2026-11-02&order_by=id&order_direction=asc&page=2&itemsPerPage=10", Bearer);

        Assert.Equal(HttpStatusCode.OK, status);
        var tickets = page!["data"]!.AsArray().Select(t => t!.AsObject()).ToList();
        Assert.Equal(10, tickets.Count);
        var paginator = page["paginator"]!;
        Assert.Equal((2, 10), (paginator["currentPage"]!.GetValue<int>(), paginator["itemsPerPage"]!.GetValue<int>()));
        var total = paginator["totalItemsCount"]!.GetValue<long>();
        Assert.Equal(_simulator.Service<EDeskFace>().Helpdesk.Latest().Count, total); // every simulated ticket has a message today in New York
        var ids = tickets.Select(t => t["id"]!.GetValue<long>()).ToList();
        Assert.Equal(ids.Order(), ids);
        foreach (var t in tickets)
        {
            Assert.EndsWith("-05:00", t["created_at"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains(t["status"]!.GetValue<string>(), new[] { "Unread", "Open", "Pending", "Scheduled", "Closed", "Archived" });
            Assert.InRange(t["channel_id"]!.GetValue<long>(), 1, 9);
        }

        var ticket = tickets[0];
        var messageIds = ticket["messages_ids"]!.AsArray().Select(m => m!.GetValue<long>()).ToList();
        var (_, first) = await GetAsync($"edesk/v1/messages/{messageIds[0]}", Bearer);
        Assert.Equal(("Message", "Incoming", ticket["created_at"]!.GetValue<string>()), (first!["data"]!["type"]!.GetValue<string>(), first["data"]!["direction"]!.GetValue<string>(), first["data"]!["created_at"]!.GetValue<string>()));
        var (_, last) = await GetAsync($"edesk/v1/messages/{messageIds[^1]}", Bearer);
        Assert.Equal(ticket["last_updated_at"]!.GetValue<string>(), last!["data"]!["created_at"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"edesk/v1/messages/{messageIds[^1] + 500}", Bearer)).Status);

        var (_, tomorrow) = await GetAsync("edesk/v1/tickets?filter_last_updated_at_gte=2026-11-03", Bearer);
        Assert.Empty(tomorrow!["data"]!.AsArray());
        var (bad, error) = await GetAsync("edesk/v1/tickets?filter_last_updated_at_gte=2026-11-02T00:00:00", Bearer);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("is not a date (YYYY-MM-DD)", error!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var (_, channels) = await GetAsync("edesk/v1/channels", Bearer);
        Assert.Contains(channels!["data"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "amazon");
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("edesk/v1/tickets", "Bearer wrong")).Status);
    }

    [Fact]
    public void TheMessages_TellAutoRepliesFromAgents_AndCarryStatusChangesAndRatings()
    {
        var face = _simulator.Service<EDeskFace>();
        face.CatchUp();
        var all = face.Helpdesk.Latest().Select(c => (Conversation: c, Messages: face.MessagesOf(c))).ToList();

        Assert.Contains(all, x => x.Messages.Any(m => m["type"]!.GetValue<string>() == "AutoReply" && m["from_user"] is null));
        Assert.Contains(all, x => x.Messages.Any(m => m["type"]!.GetValue<string>() == "Message" && m["direction"]!.GetValue<string>() == "Outgoing" && m["from_user"]!["role"]!.GetValue<string>() == "agent"));
        Assert.Contains(all, x => x.Messages.Any(m => m["type"]!.GetValue<string>() == "Status" && m["body"]!.GetValue<string>().EndsWith("to Closed", StringComparison.Ordinal)));
        var rated = all.Where(x => face.Helpdesk.CsatOf(x.Conversation.ExternalId)?.Score is not null).ToList();
        Assert.NotEmpty(rated);
        Assert.All(rated, x => Assert.Equal(
            (int)face.Helpdesk.CsatOf(x.Conversation.ExternalId)!.Score!.Value,
            x.Messages.Single(m => m["type"]!.GetValue<string>() == "Rating")["rating"]!.GetValue<int>()));
        Assert.All(all, x => Assert.Equal(face.Time(face.LastUpdatedAt(x.Conversation)), x.Messages[^1]["created_at"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AnEmptyBucket_Answers429WithRetryAfter_UntilItRefills()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 41; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "edesk/v1/channels");
            request.Headers.TryAddWithoutValidation("Authorization", Bearer);
            var response = await _simulator.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : limited;
        }

        Assert.Equal(40, statuses.Count(s => s == HttpStatusCode.OK)); // the burst
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Equal("1", limited!.Headers.GetValues("Retry-After").Single());
        _clock.Advance(TimeSpan.FromSeconds(1)); // 2 a second
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("edesk/v1/channels", Bearer)).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("edesk/v1/channels", Bearer)).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await GetAsync("edesk/v1/channels", Bearer)).Status);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await _simulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
