using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.Freshdesk;
using KpiCollector.Simulator.Faces.Zendesk;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The listing endpoints the connectors reconcile their open set with, as the faces serve them over HTTP: Zendesk's
/// Export Search Results and Freshdesk's ticket search, in their documented shapes and limits, and deleted tickets
/// gone from them and from the lookups.
/// </summary>
public sealed class OpenSetFaceTests : IAsyncLifetime
{
    private const string ZendeskSearch = "zendesk/api/v2/search/export";
    private const string FreshdeskSearch = "freshdesk/api/v2/search/tickets";
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task ZendeskSearchExport_PagesThroughEveryUnsolvedTicket_WithCursorMeta()
    {
        var ids = new List<long>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await Zendesk($"{ZendeskSearch}?query={Uri.EscapeDataString("status<solved")}&filter[type]=ticket&page[size]=20"
                + (after is null ? "" : $"&page[after]={Uri.EscapeDataString(after)}"));
            pages++;
            var results = page["results"]!.AsArray();
            Assert.All(results, t =>
            {
                Assert.Equal("ticket", t!["result_type"]!.GetValue<string>());
                Assert.Contains(t["status"]!.GetValue<string>(), new[] { "new", "open", "pending", "hold" });
            });
            ids.AddRange(results.Select(t => t!["id"]!.GetValue<long>()));
            var meta = page["meta"]!;
            after = meta["has_more"]!.GetValue<bool>() ? meta["after_cursor"]!.GetValue<string>() : null;
            Assert.Equal(after is null, page["links"]!["next"] is null);
        }
        while (after is not null);

        var open = _simulator.Service<ZendeskFace>().Helpdesk.Latest().Where(c => !c.Status.IsEnded())
            .Select(c => long.Parse(c.ExternalId.AsSpan(4), CultureInfo.InvariantCulture)).Order().ToList();
        Assert.True(pages > 1, $"{open.Count} open tickets at 20 a page: the test is meant to page");
        Assert.Equal(open, ids);
    }

    [Fact]
    public async Task ZendeskSearchExport_TakesTheTypeInFilterTypeOnly_AndADeletedTicketIsGoneFromSearchAndShowMany()
    {
        using var missingType = await Send(ZendeskSearch + "?query=status%3Csolved", Basic("admin@simulator.test/token:simulator-zendesk-token"));
        Assert.Equal(HttpStatusCode.BadRequest, missingType.StatusCode);
        using var typeInQuery = await Send(ZendeskSearch + "?query=type:ticket%20status%3Csolved&filter[type]=ticket", Basic("admin@simulator.test/token:simulator-zendesk-token"));
        Assert.Equal(HttpStatusCode.BadRequest, typeInQuery.StatusCode); // documented: the type goes in filter[type] only

        var helpdesk = _simulator.Service<ZendeskFace>().Helpdesk;
        var victim = helpdesk.Latest().First(c => !c.Status.IsEnded());
        var id = long.Parse(victim.ExternalId.AsSpan(4), CultureInfo.InvariantCulture);
        var before = await Zendesk($"zendesk/api/v2/tickets/show_many.json?ids={id}&include=metric_sets");
        Assert.Single(before["tickets"]!.AsArray());
        Assert.Single(before["metric_sets"]!.AsArray());

        Assert.True(helpdesk.Delete(victim.ExternalId));

        var search = await Zendesk($"{ZendeskSearch}?query={Uri.EscapeDataString("status<solved")}&filter[type]=ticket&page[size]=1000");
        Assert.DoesNotContain(search["results"]!.AsArray(), t => t!["id"]!.GetValue<long>() == id);
        Assert.Empty((await Zendesk($"zendesk/api/v2/tickets/show_many.json?ids={id}"))["tickets"]!.AsArray());
    }

    [Fact]
    public async Task FreshdeskSearch_ThirtyAPage_TenPagesAtMost_QuotedQueriesOnly_InclusiveDays()
    {
        var all = await Freshdesk($"{FreshdeskSearch}?query={Uri.EscapeDataString("\"status:2 OR status:6 OR status:7\"")}");
        var total = all["total"]!.GetValue<int>();
        var open = _simulator.Service<FreshdeskFace>().Helpdesk.Latest().Count(c => !c.Status.IsEnded());
        Assert.Equal(open, total);
        Assert.Equal(Math.Min(30, total), all["results"]!.AsArray().Count);
        Assert.All(all["results"]!.AsArray(), t => Assert.Null(t!["stats"]));

        var today = T0.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var day = await Freshdesk($"{FreshdeskSearch}?query={Uri.EscapeDataString($"\"(status:2 OR status:6 OR status:7) AND created_at:>'{today}' AND created_at:<'{today}'\"")}");
        var createdToday = _simulator.Service<FreshdeskFace>().Helpdesk.Latest()
            .Count(c => !c.Status.IsEnded() && c.CreatedAt.UtcDateTime.Date == T0.UtcDateTime.Date);
        Assert.Equal(createdToday, day["total"]!.GetValue<int>()); // both bounds include the day they name

        using var unquoted = await Send($"{FreshdeskSearch}?query=status:2", FreshdeskKey);
        Assert.Equal(HttpStatusCode.BadRequest, unquoted.StatusCode);
        using var page11 = await Send($"{FreshdeskSearch}?query={Uri.EscapeDataString("\"status:2\"")}&page=11", FreshdeskKey);
        Assert.Equal(HttpStatusCode.BadRequest, page11.StatusCode);
    }

    private static AuthenticationHeaderValue FreshdeskKey => Basic("simulator-freshdesk-key:X");

    private static AuthenticationHeaderValue Basic(string credential) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential)));

    private async Task<HttpResponseMessage> Send(string url, AuthenticationHeaderValue credential)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = credential;
        return await _simulator.Http.SendAsync(request);
    }

    private async Task<JsonNode> Zendesk(string url) => await Json(url, Basic("admin@simulator.test/token:simulator-zendesk-token"));

    private async Task<JsonNode> Freshdesk(string url) => await Json(url, FreshdeskKey);

    private async Task<JsonNode> Json(string url, AuthenticationHeaderValue credential)
    {
        using var response = await Send(url, credential);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
