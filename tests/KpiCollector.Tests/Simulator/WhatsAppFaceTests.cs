using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces.WhatsApp;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>The simulator's WhatsApp Graph API face over HTTP: the analytics fields' documented shapes and errors, usage headers, faults.</summary>
public sealed class WhatsAppFaceTests : IAsyncLifetime
{
    private const string Waba = "102290129340398";
    private const string Node = "whatsapp/v24.0/" + Waba;
    private const string Token = "sim-whatsapp-token";
    private static readonly DateTimeOffset T0 = Records.T0; // 09:00 UTC
    private static readonly DateTimeOffset Today = new(T0.UtcDateTime.Date, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=12h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task PricingAnalytics_Daily_ComesInTheDataWrapper_WithAPointPerCategoryAndType()
    {
        var body = await Get($"id,currency,pricing_analytics.start({Unix(Today.AddDays(-1))}).end({Unix(T0)}).granularity(DAILY).dimensions([\"PRICING_CATEGORY\",\"PRICING_TYPE\"])");

        Assert.Equal(Waba, body["id"]!.GetValue<string>());
        Assert.Equal("USD", body["currency"]!.GetValue<string>());
        var points = body["pricing_analytics"]!["data"]![0]!["data_points"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Equal([Unix(Today.AddDays(-1)), Unix(Today)], points.Select(p => p["start"]!.GetValue<long>()).Distinct().Order());
        Assert.All(points, p => Assert.Equal(p["start"]!.GetValue<long>() + 86_400, p["end"]!.GetValue<long>()));
        Assert.All(points, p => Assert.True(p["volume"]!.GetValue<int>() > 0));
        var service = points.Where(p => p["pricing_category"]!.GetValue<string>() == "SERVICE").ToList();
        Assert.All(service, p => Assert.Equal("FREE_CUSTOMER_SERVICE", p["pricing_type"]!.GetValue<string>()));
        Assert.All(service, p => Assert.Equal(0, p["cost"]!.GetValue<double>()));
        var utility = points.Where(p => p["pricing_category"]!.GetValue<string>() == "UTILITY").ToList();
        Assert.NotEmpty(utility);
        Assert.All(utility, p => Assert.Equal("REGULAR", p["pricing_type"]!.GetValue<string>()));
        Assert.All(utility, p => Assert.Equal(p["volume"]!.GetValue<int>() * 0.0113, p["cost"]!.GetValue<double>(), 6));
    }

    [Fact]
    public async Task PricingAnalytics_TheCurrentDayIsPartial_AndItsServiceVolumeIsTheDeliveredRepliesSoFar()
    {
        var body = await Get($"pricing_analytics.start({Unix(Today)}).end({Unix(Today.AddDays(1))}).granularity(DAILY).dimensions([\"PRICING_CATEGORY\",\"PRICING_TYPE\"]).pricing_categories([\"SERVICE\"])");

        var points = body["pricing_analytics"]!["data"]![0]!["data_points"]!.AsArray();
        var point = Assert.Single(points)!;
        Assert.Equal("SERVICE", point["pricing_category"]!.GetValue<string>());
        var (messages, _) = Simulate();
        var expected = messages.Count(m => m.At >= Today && m.Direction == MessageDirection.Outbound && m.DeliveryStatus != "failed");
        Assert.True(expected > 0);
        Assert.Equal(expected, point["volume"]!.GetValue<int>());
    }

    [Fact]
    public async Task ConversationAnalytics_Daily_UserInitiatedServiceConversations_AreTheWhatsAppConversationsCreated()
    {
        var body = await Get($"conversation_analytics.start({Unix(Today)}).end({Unix(T0)}).granularity(DAILY).metric_types([\"COST\",\"CONVERSATION\"]).dimensions([\"CONVERSATION_CATEGORY\",\"CONVERSATION_DIRECTION\"])");

        var points = body["conversation_analytics"]!["data"]![0]!["data_points"]!.AsArray().Select(p => p!.AsObject()).ToList();
        var service = Assert.Single(points, p => p["conversation_category"]!.GetValue<string>() == "SERVICE");
        Assert.Equal("USER_INITIATED", service["conversation_direction"]!.GetValue<string>());
        var (_, created) = Simulate();
        Assert.Equal(created, service["conversation"]!.GetValue<int>());
        Assert.Contains(points, p => p["conversation_direction"]!.GetValue<string>() == "BUSINESS_INITIATED" && p["cost"]!.GetValue<double>() > 0);
        Assert.All(points, p => Assert.Equal(Unix(Today), p["start"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Analytics_Day_HasNoDataWrapper_AndCountsSentAndDelivered()
    {
        var body = await Get($"analytics.start({Unix(Today)}).end({Unix(T0)}).granularity(DAY)");

        var analytics = body["analytics"]!;
        Assert.Null(analytics["data"]);
        Assert.Equal("DAY", analytics["granularity"]!.GetValue<string>());
        var point = Assert.Single(analytics["data_points"]!.AsArray())!;
        Assert.InRange(point["delivered"]!.GetValue<int>(), 1, point["sent"]!.GetValue<int>());
    }

    [Fact]
    public async Task HalfHourGranularity_SplitsTheDayIntoAlignedPeriods_ThatAddUpToTheDay()
    {
        const string Fields = "pricing_analytics.start({0}).end({1}).granularity({2}).dimensions([\"PRICING_CATEGORY\"])";
        var halves = await Get(string.Format(System.Globalization.CultureInfo.InvariantCulture, Fields, Unix(Today), Unix(T0), "HALF_HOUR"));
        var day = await Get(string.Format(System.Globalization.CultureInfo.InvariantCulture, Fields, Unix(Today), Unix(T0), "DAILY"));

        var halfPoints = halves["pricing_analytics"]!["data"]![0]!["data_points"]!.AsArray();
        Assert.All(halfPoints, p => Assert.Equal(0, p!["start"]!.GetValue<long>() % 1800));
        Assert.Equal(
            day["pricing_analytics"]!["data"]![0]!["data_points"]!.AsArray().Sum(p => p!["volume"]!.GetValue<int>()),
            halfPoints.Sum(p => p!["volume"]!.GetValue<int>()));
    }

    [Theory]
    [InlineData("pricing_analytics", "DAY")]
    [InlineData("pricing_analytics", "MONTH")]
    [InlineData("conversation_analytics", "DAY")]
    [InlineData("analytics", "DAILY")]
    public async Task TheOtherFieldsGranularityName_IsAnInvalidParameter(string field, string granularity)
    {
        using var response = await Send($"{field}.start({Unix(Today)}).end({Unix(T0)}).granularity({granularity})");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json(response))["error"]!;
        Assert.Equal(100, error["code"]!.GetValue<int>());
        Assert.StartsWith("(#100) Invalid parameter", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"'{granularity}'", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStartMoreThanAYearBack_IsRefused()
    {
        using var response = await Send($"pricing_analytics.start({Unix(T0.AddDays(-400))}).end({Unix(T0)}).granularity(DAILY)");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json(response))["error"]!;
        Assert.Equal(100, error["code"]!.GetValue<int>());
        Assert.Contains("one year", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReversedRange_IsEmpty_NotAnError()
    {
        var body = await Get($"pricing_analytics.start({Unix(T0)}).end({Unix(Today)}).granularity(DAILY),conversation_analytics.start({Unix(T0)}).end({Unix(Today)}).granularity(DAILY)");

        Assert.Empty(body["pricing_analytics"]!["data"]!.AsArray());
        Assert.Empty(body["conversation_analytics"]!["data"]!.AsArray());
    }

    [Fact]
    public async Task APartnerBilledWaba_HasNoCost()
    {
        await using var partner = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=12h", "Simulator:WhatsApp:PartnerBilled=true");
        using var request = Request($"pricing_analytics.start({Unix(Today)}).end({Unix(T0)}).granularity(DAILY).dimensions([\"PRICING_CATEGORY\",\"PRICING_TYPE\"]),conversation_analytics.start({Unix(Today)}).end({Unix(T0)}).granularity(DAILY)");
        using var response = await partner.Http.SendAsync(request);
        var body = await Json(response);

        var points = body["pricing_analytics"]!["data"]![0]!["data_points"]!.AsArray().Concat(body["conversation_analytics"]!["data"]![0]!["data_points"]!.AsArray()).ToList();
        Assert.NotEmpty(points);
        Assert.All(points, p => Assert.False(p!.AsObject().ContainsKey("cost")));
        Assert.All(points.Take(1), p => Assert.True(p!["volume"]!.GetValue<int>() > 0));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    public async Task AWrongToken_Answers401WithCode190(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Node + "?fields=currency");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await _simulator.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await Json(response))["error"]!;
        Assert.Equal(190, error["code"]!.GetValue<int>());
        Assert.Equal("OAuthException", error["type"]!.GetValue<string>());
        Assert.True(response.Headers.Contains("x-business-use-case-usage"));
    }

    [Fact]
    public async Task AnUnknownWaba_IsAGraphMethodException()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "whatsapp/v24.0/999?fields=currency");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _simulator.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json(response))["error"]!;
        Assert.Equal("GraphMethodException", error["type"]!.GetValue<string>());
        Assert.Equal(100, error["code"]!.GetValue<int>());
        Assert.Equal(33, error["error_subcode"]!.GetValue<int>());
        Assert.Contains("'999' does not exist", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryReply_CarriesTheUsageOfTheHourlyBudget_AndATraceId()
    {
        var counts = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await Send("currency");
            Assert.True(response.Headers.TryGetValues("x-fb-trace-id", out var trace) && trace.Single().Length > 10);
            var usage = JsonNode.Parse(response.Headers.GetValues("x-business-use-case-usage").Single())!;
            var entry = usage[Waba]![0]!;
            Assert.Equal("whatsapp_business_management", entry["type"]!.GetValue<string>());
            Assert.Equal(0, entry["estimated_time_to_regain_access"]!.GetValue<int>());
            counts.Add(entry["call_count"]!.GetValue<int>());
        }

        Assert.Equal([1, 1, 2, 2], counts); // 1, 2, 3, 4 calls of 200, rounded up to whole percents

        _clock.Advance(TimeSpan.FromMinutes(61));
        using var later = await Send("currency");
        Assert.Equal(1, JsonNode.Parse(later.Headers.GetValues("x-business-use-case-usage").Single())![Waba]![0]!["call_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Faults_SpeakGraph_RateLimit80007_AndTransientCode2()
    {
        (await _simulator.Http.PostAsync("_sim/faults/whatsapp?kind=rate_limit&retryAfter=9", null)).EnsureSuccessStatusCode();
        (await _simulator.Http.PostAsync("_sim/faults/whatsapp?kind=server_error&status=503", null)).EnsureSuccessStatusCode();
        (await _simulator.Http.PostAsync("_sim/faults/whatsapp?kind=expired_token", null)).EnsureSuccessStatusCode();

        using var limited = await Send("currency");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(9), limited.Headers.RetryAfter!.Delta);
        Assert.Equal(80007, (await Json(limited))["error"]!["code"]!.GetValue<int>());
        using var failed = await Send("currency");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        var error = (await Json(failed))["error"]!;
        Assert.Equal(2, error["code"]!.GetValue<int>());
        Assert.True(error["is_transient"]!.GetValue<bool>());
        using var expired = await Send("currency");
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(463, (await Json(expired))["error"]!["error_subcode"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await Send("currency")).StatusCode);
    }

    [Fact]
    public async Task AnUnknownField_OrDimension_IsAnError100()
    {
        using var unknown = await Send("followers_count");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("nonexisting field (followers_count)", (await Json(unknown))["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        using var dimension = await Send($"pricing_analytics.start({Unix(Today)}).end({Unix(T0)}).granularity(DAILY).dimensions([\"CONVERSATION_CATEGORY\"])");
        Assert.Equal(HttpStatusCode.BadRequest, dimension.StatusCode);
        Assert.Equal(100, (await Json(dimension))["error"]!["code"]!.GetValue<int>());
    }

    /// <summary>The same traffic run independently: today's WhatsApp messages up to the face's horizon, and the WhatsApp conversations created today.</summary>
    private static (List<MessageEvent> Messages, int CreatedToday) Simulate()
    {
        var simulation = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "test", T0 - TimeSpan.FromHours(12));
        var delta = simulation.AdvanceTo(T0 - WhatsAppFace.Lag);
        return ([.. delta.Messages.Where(m => m.Channel == Channels.WhatsApp)],
            delta.Conversations.Count(c => c.Channel == Channels.WhatsApp && c.CreatedAt >= Today));
    }

    private static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();

    private static HttpRequestMessage Request(string fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{Node}?fields={Uri.EscapeDataString(fields)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return request;
    }

    private async Task<HttpResponseMessage> Send(string fields)
    {
        using var request = Request(fields);
        return await _simulator.Http.SendAsync(request);
    }

    private async Task<JsonNode> Get(string fields)
    {
        using var response = await Send(fields);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}
