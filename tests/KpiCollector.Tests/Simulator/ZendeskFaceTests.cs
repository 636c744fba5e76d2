using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>The simulator's Zendesk face over HTTP: credentials, the export's documented behaviour, and the faults.</summary>
public sealed class ZendeskFaceTests : IAsyncLifetime
{
    private const string Export = "zendesk/api/v2/incremental/tickets/cursor.json";
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("Basic YWRtaW5Ac2ltdWxhdG9yLnRlc3Q6d3Jvbmc=")]
    [InlineData("Bearer wrong-token")]
    public async Task WithoutTheAccountsCredential_Answers401(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Export}?start_time=0");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await _simulator.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Couldn't authenticate you", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Export_LeavesOutTheLastMinute_AndTheCursorPicksUpLaterChanges()
    {
        var first = await Get($"{Export}?start_time=0&include=metric_sets");
        Assert.True(first["end_of_stream"]!.GetValue<bool>());
        var tickets = first["tickets"]!.AsArray();
        Assert.NotEmpty(tickets);
        Assert.All(tickets, t => Assert.True(DateTimeOffset.Parse(t!["updated_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) <= T0.AddMinutes(-1)));
        Assert.Equal(tickets.Count, first["metric_sets"]!.AsArray().Count);

        _clock.Advance(TimeSpan.FromMinutes(30));
        var next = await Get($"{Export}?cursor={Uri.EscapeDataString(first["after_cursor"]!.GetValue<string>())}");

        var later = next["tickets"]!.AsArray().Select(t => DateTimeOffset.Parse(t!["updated_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(later);
        Assert.All(later, u => Assert.InRange(u, T0.AddMinutes(-2), T0.AddMinutes(29)));
    }

    [Fact]
    public async Task ArmedFaults_HitTheNextRequestsInOrder_ThenServiceResumes()
    {
        await Arm("kind=server_error&count=2&status=503");
        await Arm("kind=rate_limit&retryAfter=7");
        await Arm("kind=expired_token");
        await Arm("kind=malformed");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Send(Export + "?start_time=0")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Send(Export + "?start_time=0")).StatusCode);
        var limited = await Send(Export + "?start_time=0");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(Export + "?start_time=0")).StatusCode);
        var malformed = JsonNode.Parse(await (await Send(Export + "?start_time=0")).Content.ReadAsStringAsync())!;
        Assert.Equal("not-a-timestamp", malformed["tickets"]![0]!["created_at"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Send(Export + "?start_time=0")).StatusCode);

        var state = JsonNode.Parse(await _simulator.Http.GetStringAsync("_sim/faults/zendesk"))!;
        Assert.Equal(6, state["requests"]!.GetValue<int>());
        Assert.Equal(2, state["injected"]!["server_error"]!.GetValue<int>());
        Assert.Empty(state["armed"]!.AsArray());
    }

    [Fact]
    public async Task AFaultUntilCleared_LastsUntilCleared()
    {
        await Arm("kind=server_error&count=-1");

        Assert.Equal(HttpStatusCode.InternalServerError, (await Send(Export + "?start_time=0")).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await Send(Export + "?start_time=0")).StatusCode);
        (await _simulator.Http.DeleteAsync("_sim/faults/zendesk")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await Send(Export + "?start_time=0")).StatusCode);
    }

    [Theory]
    [InlineData("_sim/faults/zendesk?kind=earthquake", HttpStatusCode.BadRequest, "allowed: rate_limit, server_error, slow, malformed, expired_token")]
    [InlineData("_sim/faults/zendesk?kind=server_error&status=404", HttpStatusCode.BadRequest, "status 500-599")]
    [InlineData("_sim/faults/myspace?kind=slow", HttpStatusCode.NotFound, "faces: zendesk")]
    public async Task FaultControl_RejectsWhatItCannotDo(string url, HttpStatusCode status, string message)
    {
        using var response = await _simulator.Http.PostAsync(url, null);

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task Arm(string query) => (await _simulator.Http.PostAsync($"_sim/faults/zendesk?{query}", null)).EnsureSuccessStatusCode();

    private async Task<HttpResponseMessage> Send(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin@simulator.test/token:simulator-zendesk-token")));
        return await _simulator.Http.SendAsync(request);
    }

    private async Task<JsonNode> Get(string url)
    {
        using var response = await Send(url);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
