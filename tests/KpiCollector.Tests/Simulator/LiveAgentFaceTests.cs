using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The LiveAgent face's API v3 as LiveAgent documents it: tickets as a bare array, <c>_filters</c> on
/// <c>date_changed</c>, <c>_sortField</c>/<c>_sortDir</c>, <c>_page</c>/<c>_perPage</c>; the SLA log grid filtered by
/// ticket ids and cursor paged; one ticket's SLA and messages with the chat rating; a filter it cannot read refused
/// with 400, and a wrong key with 401.
/// </summary>
public sealed class LiveAgentFaceTests : IAsyncLifetime
{
    private const string Key = "simulator-liveagent-apikey";
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Tickets_AreFilteredSortedAndPaged_AsDocumented()
    {
        var since = Records.T0.AddHours(-1).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var filters = Uri.EscapeDataString($"[[\"date_changed\",\"D>=\",\"{since}\"]]");
        var query = $"_filters={filters}&_sortField=date_changed&_sortDir=ASC&_perPage=5";

        var (status, page) = await GetAsync($"liveagent/api/v3/tickets?{query}&_page=1", Key);

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = page!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(5, rows.Count);
        var changed = rows.Select(r => r["date_changed"]!.GetValue<string>()).ToList();
        Assert.Equal(changed.Order(StringComparer.Ordinal), changed);
        Assert.All(changed, c => Assert.True(string.CompareOrdinal(c, since) >= 0));
        Assert.All(rows, r => Assert.Contains(r["status"]!.GetValue<string>(), new[] { "N", "C", "T", "A", "W", "R", "L" }));
        Assert.All(rows, r => Assert.Equal(8, r["id"]!.GetValue<string>().Length));
        var (_, second) = await GetAsync($"liveagent/api/v3/tickets?{query}&_page=2", Key);
        Assert.Empty(second!.AsArray().Select(r => r!["id"]!.GetValue<string>()).Intersect(rows.Select(r => r["id"]!.GetValue<string>())));
        var (_, defaults) = await GetAsync("liveagent/api/v3/tickets", Key);
        Assert.Equal(10, defaults!.AsArray().Count); // _perPage defaults to 10

        var (bad, error) = await GetAsync("liveagent/api/v3/tickets?_filters=" + Uri.EscapeDataString("[[\"date_changed\",\"~\",\"x\"]]"), Key);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("operator", error!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("liveagent/api/v3/tickets", "wrong")).Status);
    }

    [Fact]
    public async Task TheSlaLog_IsFilteredByTicketAndType_AndCursorPaged_AndATicketHasItsSlaAndRating()
    {
        var (_, tickets) = await GetAsync("liveagent/api/v3/tickets?_perPage=30&_sortField=date_created", Key);
        var ids = tickets!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();
        var filters = Uri.EscapeDataString($"[[\"ticket_id\",\"IN\",\"{string.Join(',', ids)}\"],[\"sla_type\",\"=\",\"first_answer\"]]");

        var rows = new List<JsonObject>();
        string? cursor = null;
        var requests = 0;
        do
        {
            var (status, page) = await GetAsync($"liveagent/api/v3/grid/tickets/sla?_filters={filters}&_perPage=7" + (cursor is null ? "" : $"&_cursor={Uri.EscapeDataString(cursor)}"), Key);
            Assert.Equal(HttpStatusCode.OK, status);
            rows.AddRange(page!["rows"]!.AsArray().Select(r => r!.AsObject()));
            cursor = page["cursor"]?.GetValue<string>();
            requests++;
        }
        while (cursor is not null);

        Assert.Equal(5, requests); // 30 rows, 7 a page
        Assert.Equal(ids.Order(), rows.Select(r => r["ticket_id"]!.GetValue<string>()).Order());
        Assert.All(rows, r => Assert.Equal("first_answer", r["sla_type"]!.GetValue<string>()));
        var answered = rows.First(r => r["date_closed"] is not null);
        var (_, sla) = await GetAsync($"liveagent/api/v3/tickets/{answered["ticket_id"]}/sla", Key);
        Assert.Equal(answered["date_closed"]!.GetValue<string>(), sla!["first_answer"]!.GetValue<string>());

        var face = _simulator.Service<KpiCollector.Simulator.Faces.LiveAgent.LiveAgentFace>();
        var rated = face.Helpdesk.Latest().First(c => face.Helpdesk.CsatOf(c.ExternalId) is { Score: >= 4 });
        var id = KpiCollector.Simulator.Faces.LiveAgent.LiveAgentFace.TicketId(KpiCollector.Simulator.Faces.FaceResponses.Number(rated.ExternalId)!.Value);
        var (_, messages) = await GetAsync($"liveagent/api/v3/tickets/{id}/messages", Key);
        Assert.Contains(messages!.AsArray(), g => g!["messages"]!.AsArray().Any(m => m!["type"]!.GetValue<string>() == "W"));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("liveagent/api/v3/tickets/nothere/sla", Key)).Status);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("apikey", key);
        using var response = await _simulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
