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

    [Fact]
    public async Task LegacyAccount_HasNoSurveyResponses()
    {
        var page = await Get("zendesk/api/v2/guide/survey_responses?page[size]=1");

        Assert.Empty(page["survey_responses"]!.AsArray());
        Assert.False(page["meta"]!["has_more"]!.GetValue<bool>());
        Assert.NotEmpty((await Get("zendesk/api/v2/satisfaction_ratings.json?score=received&start_time=0"))["satisfaction_ratings"]!.AsArray());
    }

    [Fact]
    public async Task SurveyResponsesAccount_PagesItsAnsweredCsat_AsDocumented_AndHasNoLegacyRatings()
    {
        await using var simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h", "Simulator:Zendesk:Csat=survey_responses");
        const string path = "zendesk/api/v2/guide/survey_responses";

        var all = new List<JsonNode>();
        var url = $"{path}?page[size]=25";
        var pages = 0;
        while (true)
        {
            var page = await Get(url, simulator);
            pages++;
            all.AddRange(page["survey_responses"]!.AsArray().Select(r => r!));
            Assert.True(page["survey_responses"]!.AsArray().Count <= 25);
            if (!page["meta"]!["has_more"]!.GetValue<bool>())
            {
                Assert.Null(page["links"]!["next"]);
                break;
            }

            var after = page["meta"]!["after_cursor"]!.GetValue<string>();
            Assert.Contains(Uri.EscapeDataString(after), page["links"]!["next"]!.GetValue<string>(), StringComparison.Ordinal);
            url = $"{path}?page[size]=25&page[after]={Uri.EscapeDataString(after)}";
        }

        Assert.True(pages > 2, $"{pages} pages");
        Assert.Equal(all.Count, all.Select(r => r["id"]!.GetValue<string>()).Distinct().Count());
        Assert.All(all, r => Assert.Equal(26, r["id"]!.GetValue<string>().Length)); // ULIDs
        var answered = all.Where(r => r["answers"]!.AsArray().Count > 0).ToList();
        var simulated = new KpiCollector.Simulator.TrafficSimulation(new KpiCollector.Simulator.SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6)).AdvanceTo(T0.AddMinutes(-1))
            .Surveys.Where(s => s.Kind == KpiCollector.Core.Records.SurveyKind.Csat).ToList();
        Assert.Equal(simulated.Count(s => s.Score is not null), answered.Count); // offers nobody answered are listed with no answers
        Assert.Equal(simulated.Count, all.Count);
        foreach (var r in answered)
        {
            var zrn = r["subject_zrns"]![0]!.GetValue<string>();
            Assert.StartsWith("zen:ticket:", zrn, StringComparison.Ordinal);
            Assert.Equal(("ticket", zrn), (r["subjects"]![0]!["type"]!.GetValue<string>(), r["subjects"]![0]!["zrn"]!.GetValue<string>()));
            Assert.Equal("enabled", r["survey"]!["state"]!.GetValue<string>());
            var rating = r["answers"]![0]!;
            Assert.Equal(("rating_scale", "customer_satisfaction"), (rating["type"]!.GetValue<string>(), rating["question"]!["sub_type"]!.GetValue<string>()));
            Assert.InRange(rating["rating"]!.GetValue<int>(), 1, 5);
            Assert.Contains(r["answers"]![1]!["type"]!.GetValue<string>(), new[] { "open_ended", "skipped" });
        }

        Assert.Contains(answered, r => r["answers"]![1]!["type"]!.GetValue<string>() == "skipped");
        Assert.Contains(answered, r => r["answers"]![1]!["type"]!.GetValue<string>() == "open_ended");

        // created_at filters are Unix epoch milliseconds; an ISO 8601 value is refused.
        var from = T0.AddHours(-3);
        var filtered = (await Get($"{path}?filter[created_at_start]={from.ToUnixTimeMilliseconds()}&filter[created_at_end]={T0.AddHours(-2).ToUnixTimeMilliseconds()}", simulator))["survey_responses"]!.AsArray();
        Assert.NotEmpty(filtered);
        Assert.All(filtered, r => Assert.InRange(DateTimeOffset.Parse(r!["created_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), from, T0.AddHours(-2)));
        Assert.Equal(HttpStatusCode.BadRequest, (await Send($"{path}?filter[created_at_start]=2025-03-01T00:00:00Z", simulator)).StatusCode);
        var one = answered[0]["subject_zrns"]![0]!.GetValue<string>();
        Assert.Equal([one], (await Get($"{path}?filter[subject_zrns]={one}", simulator))["survey_responses"]!.AsArray().Select(r => r!["subject_zrns"]![0]!.GetValue<string>()));

        Assert.Empty((await Get("zendesk/api/v2/satisfaction_ratings.json?score=received&start_time=0", simulator))["satisfaction_ratings"]!.AsArray());
    }

    private async Task Arm(string query) => (await _simulator.Http.PostAsync($"_sim/faults/zendesk?{query}", null)).EnsureSuccessStatusCode();

    private async Task<HttpResponseMessage> Send(string url, SimulatorHost? simulator = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin@simulator.test/token:simulator-zendesk-token")));
        return await (simulator ?? _simulator).Http.SendAsync(request);
    }

    private async Task<JsonNode> Get(string url, SimulatorHost? simulator = null)
    {
        using var response = await Send(url, simulator);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
