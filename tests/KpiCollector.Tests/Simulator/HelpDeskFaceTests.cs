using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The HelpDesk.com face's ticket list as HelpDesk documents it: a bare array newest first by <c>updatedAt</c>,
/// <c>page</c>/<c>pageSize</c> with <c>x-total-pages</c>, events embedded with their actor types, one ticket by id, a
/// sort it does not know refused with 400, and a wrong token with 401.
/// </summary>
public sealed class HelpDeskFaceTests : IAsyncLifetime
{
    private static readonly string Basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator-helpdesk-account:simulator-helpdesk-token"));
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Tickets_AreListedNewestFirst_PagedByNumber_WithTheirEventsEmbedded()
    {
        var (status, headers, page) = await GetAsync("helpdesk/v1/tickets?silo=tickets&sortBy=updatedAt&order=desc&page=1&pageSize=50", Basic);

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = page!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(50, rows.Count);
        var total = int.Parse(headers["x-total-count"], CultureInfo.InvariantCulture);
        Assert.True(total > 200, $"{total} tickets");
        Assert.Equal((total + 49) / 50, int.Parse(headers["x-total-pages"], CultureInfo.InvariantCulture));
        var updated = rows.Select(r => At(r["updatedAt"])).ToList();
        Assert.Equal(updated.OrderDescending(), updated);
        Assert.All(rows, r => Assert.Contains(r["status"]!.GetValue<string>(), new[] { "open", "pending", "onhold", "solved", "closed" }));

        var events = rows.SelectMany(r => r["events"]!.AsArray()).Select(e => e!.AsObject()).ToList();
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "message" && e["actor"]!["type"]!.GetValue<string>() == "agent");
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "message" && e["actor"]!["type"]!.GetValue<string>() == "customer");
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "statusChanged" && e["status"]!.GetValue<string>() == "solved");
        foreach (var row in rows)
        {
            var first = row["events"]!.AsArray()[0]!;
            Assert.Equal(("message", "customer", At(row["createdAt"])), (first["type"]!.GetValue<string>(), first["actor"]!["type"]!.GetValue<string>(), At(first["createdAt"])));
        }

        var (_, _, second) = await GetAsync("helpdesk/v1/tickets?sortBy=updatedAt&order=desc&page=2&pageSize=50", Basic);
        var firstIds = rows.Select(r => r["ID"]!.GetValue<string>()).ToHashSet();
        Assert.DoesNotContain(second!.AsArray(), r => firstIds.Contains(r!["ID"]!.GetValue<string>()));
        Assert.True(At(second!.AsArray()[0]!["updatedAt"]) <= updated[^1]);

        var id = rows[0]["ID"]!.GetValue<string>();
        var (found, _, one) = await GetAsync($"helpdesk/v1/tickets/{id}", Basic);
        Assert.Equal((HttpStatusCode.OK, id), (found, one!["ID"]!.GetValue<string>()));
        var (_, _, archive) = await GetAsync("helpdesk/v1/tickets?silo=archive", Basic);
        Assert.Empty(archive!.AsArray());

        var (bad, _, error) = await GetAsync("helpdesk/v1/tickets?sortBy=priority", Basic);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("sortBy", error!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var wrong = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator-helpdesk-account:wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("helpdesk/v1/tickets", wrong)).Status);
    }

    private static DateTimeOffset At(JsonNode? node) =>
        DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private async Task<(HttpStatusCode Status, Dictionary<string, string> Headers, JsonNode? Body)> GetAsync(string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await _simulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var headers = response.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        return (response.StatusCode, headers, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
