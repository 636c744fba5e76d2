using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The simulator's tenants (one face served under many prefixes, counted per prefix) and its pausable traffic clock:
/// what the replica test uses to see that no source is polled twice at once and to compare runs on the same data.
/// </summary>
public sealed class TenantRoutingTests : IAsyncLifetime
{
    private static readonly string Admin = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin@simulator.test/token:simulator-zendesk-token"));
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task ATenantPrefix_ServesTheSameFace_AndCountsItsRequests()
    {
        var plain = await GetAsync("zendesk/api/v2/incremental/tickets/cursor.json?start_time=0");
        var a = await GetAsync("t/acme/zendesk/api/v2/incremental/tickets/cursor.json?start_time=0");
        await GetAsync("t/acme/zendesk/api/v2/users/me.json");
        var b = await GetAsync("t/brand-b/zendesk/api/v2/incremental/tickets/cursor.json?start_time=0");

        Assert.Equal(plain["tickets"]!.AsArray().Count, a["tickets"]!.AsArray().Count);
        Assert.Equal(plain["tickets"]!.ToJsonString(), b["tickets"]!.ToJsonString());
        var tenants = JsonNode.Parse(await _simulator.Http.GetStringAsync("_sim/tenants"))!;
        Assert.Equal(2, tenants["acme"]!["requests"]!.GetValue<long>());
        Assert.Equal(1, tenants["brand-b"]!["requests"]!.GetValue<long>());
        Assert.Equal(0, tenants["acme"]!["overlapping"]!.GetValue<long>());
        Assert.Equal(1, tenants["acme"]!["maxInFlight"]!.GetValue<int>());
        Assert.Equal(0, tenants["acme"]!["inFlight"]!.GetValue<int>());
    }

    [Fact]
    public async Task RequestsOfOneTenantInFlightTogether_AreCountedAsOverlapping()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => GetAsync("t/busy/zendesk/api/v2/incremental/tickets/cursor.json?start_time=0")));

        var busy = JsonNode.Parse(await _simulator.Http.GetStringAsync("_sim/tenants"))!["busy"]!;
        Assert.Equal(8, busy["requests"]!.GetValue<long>());
        // Eight requests sent at once: at least some were served while another was in flight on a 2-core machine; the
        // counters are consistent whatever the interleaving.
        Assert.Equal(busy["maxInFlight"]!.GetValue<int>() > 1, busy["overlapping"]!.GetValue<long>() > 0);
    }

    [Fact]
    public async Task PausingTheClock_FreezesTheTraffic_WhileTheFacesKeepAnswering()
    {
        var pausedAt = JsonNode.Parse(await (await _simulator.Http.PostAsync("_sim/clock/pause", null)).Content.ReadAsStringAsync())!["pausedAt"]!.GetValue<DateTimeOffset>();
        var before = (await GetAsync("zendesk/api/v2/incremental/tickets/cursor.json?start_time=0"))["tickets"]!.ToJsonString();

        _clock.Advance(TimeSpan.FromHours(2)); // two hours of traffic that does not happen
        var after = (await GetAsync("zendesk/api/v2/incremental/tickets/cursor.json?start_time=0"))["tickets"]!.ToJsonString();

        Assert.Equal(Records.T0, pausedAt);
        Assert.Equal(before, after);
        await _simulator.Http.PostAsync("_sim/clock/resume", null);
        var resumed = (await GetAsync("zendesk/api/v2/incremental/tickets/cursor.json?start_time=0"))["tickets"]!.ToJsonString();
        Assert.NotEqual(before, resumed);
    }

    private async Task<JsonNode> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", Admin);
        using var response = await _simulator.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
