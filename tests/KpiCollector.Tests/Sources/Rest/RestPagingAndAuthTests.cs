using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>Each authenticator and paginator kind of the profile language against a loopback fake platform.</summary>
public sealed class RestPagingAndAuthTests : IDisposable
{
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _platform.Dispose();

    [Theory]
    [InlineData("type: bearer", "Authorization", "Bearer secret-token")]
    [InlineData("type: basic\nusername: \"{email}/token\"\npassword: \"{token}\"", "Authorization", "Basic YW5hQGV4YW1wbGUuY29tL3Rva2VuOnNlY3JldC10b2tlbg==")]
    [InlineData("type: basic\nusername: \"{token}\"\npassword: X", "Authorization", "Basic c2VjcmV0LXRva2VuOlg=")]
    [InlineData("type: api_key\nheader: X-Api-Key\nprefix: Token", "X-Api-Key", "Token secret-token")]
    public async Task TheAuthenticatorSendsTheCredentialAsDeclared(string authenticator, string header, string expected)
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""));
        using var source = Source(_platform, Conversations(authenticator), _clock, email: "ana@example.com");

        Assert.Equal(["1"], Ids(await Drain(source)));

        var request = Assert.Single(_platform.Requests("/api/tickets")).RequestMessage!;
        Assert.Equal(expected, request.Headers![header].Single());
    }

    [Fact]
    public async Task AUrlToken_GoesInTheBaseUrlPath_AndFixedHeadersAreSent()
    {
        _platform.Sequence("/secret-token/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""));
        var profile = Conversations("type: url_token", baseUrl: $"base_url: \"{_platform.Url}{{token}}/\"\nheaders: {{ X-Fixed: yes }}");
        using var source = Source(_platform, profile, _clock, baseUrl: false);

        Assert.Equal(["1"], Ids(await Drain(source)));
        var request = Assert.Single(_platform.Requests("/secret-token/api/tickets")).RequestMessage!;
        Assert.False(request.Headers!.ContainsKey("Authorization"));
    }

    [Theory]
    [InlineData("stop: short_page")]
    [InlineData("stop: empty_page")]
    [InlineData("stop: total_field\ntotal_path: $.total")]
    [InlineData("stop: total_pages_header\ntotal_pages_header: X-Total-Pages")]
    public async Task PageNumber_StopsOnItsSignal(string stop)
    {
        Page("page", "1", $$"""{"total":3,"items":{{Tickets(1, 2)}}}""");
        Page("page", "2", $$"""{"total":3,"items":{{Tickets(3)}}}""");
        Page("page", "3", """{"total":3,"items":[]}""");
        using var source = Source(_platform, Conversations(paginator: $"type: page_number\nsize_param: per_page\npage_size: 2\n{stop}"), _clock);

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));
        Assert.Equal(stop.Contains("empty", StringComparison.Ordinal) ? 3 : 2, _platform.Count("/api/tickets"));
    }

    [Fact]
    public async Task ODataSkipAndTop_PageByOffset()
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"value":{{Tickets(1, 2)}}}"""), FakePlatform.Json($$"""{"value":{{Tickets(3)}}}"""));
        using var source = Source(_platform, Conversations(paginator: "type: offset\noffset_param: $skip\nlimit_param: $top\npage_size: 2", selector: "$.value"), _clock);

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));
        var urls = _platform.Requests("/api/tickets").Select(e => Uri.UnescapeDataString(e.RequestMessage!.Url)).ToList();
        Assert.Equal(2, urls.Count);
        Assert.Contains("$skip=0&$top=2", urls[0], StringComparison.Ordinal);
        Assert.Contains("$skip=2&$top=2", urls[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ODataSkipAndTop_WithASlidingFilter_RestartAtOffset0FromTheFullPagesNewestUpdate()
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"value":{{Tickets(1, 2)}}}"""), FakePlatform.Json($$"""{"value":{{Tickets(3)}}}"""));
        var incremental = "incremental:\n  param: $filter\n  template: \"changed after '{since}'\"\n  cursor_field: $.updated_at\n  lookback: 1s\n  slide_on_full_page: true";
        using var source = Source(_platform, Conversations(paginator: "type: offset\noffset_param: $skip\nlimit_param: $top\npage_size: 2", selector: "$.value", incremental: incremental), _clock);

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));
        var urls = _platform.Requests("/api/tickets").Select(e => Uri.UnescapeDataString(e.RequestMessage!.Url).Replace('+', ' ')).ToList();
        Assert.Equal(2, urls.Count);
        Assert.Contains("$filter=changed after '2025-12-31T23:59:59Z'", urls[0], StringComparison.Ordinal);
        Assert.Contains("$skip=0&$top=2", urls[0], StringComparison.Ordinal);
        Assert.Contains("$filter=changed after '2026-01-01T00:01:59Z'", urls[1], StringComparison.Ordinal); // 00:02 minus 1 s
        Assert.Contains("$skip=0&$top=2", urls[1], StringComparison.Ordinal); // not $skip=2: the filter moved instead
    }

    [Fact]
    public async Task LinkRelNext_IsFollowed()
    {
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").WithParam("after", "x2").UsingGet()).AtPriority(1)
            .RespondWith(FakePlatform.Json($$"""{"items":{{Tickets(3)}}}"""));
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingGet()).AtPriority(5)
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithHeader("Link", $"<{_platform.Url}api/tickets?after=x2>; rel=\"next\", <{_platform.Url}api/tickets>; rel=\"first\"").WithBody($$"""{"items":{{Tickets(1, 2)}}}"""));
        using var source = Source(_platform, Conversations(paginator: "type: link_header"), _clock);

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));
    }

    [Fact]
    public async Task ANextUrlInTheBody_IsFollowed()
    {
        Page("after", "x2", "{\"items\":" + Tickets(3) + ",\"meta\":{\"next\":null}}");
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingGet()).AtPriority(5)
            .RespondWith(FakePlatform.Json("{\"items\":" + Tickets(1, 2) + ",\"meta\":{\"next\":\"" + _platform.Url + "api/tickets?after=x2\"}}"));
        using var source = Source(_platform, Conversations(paginator: "type: next_url\nnext_path: $.meta.next"), _clock);

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));
    }

    [Fact]
    public async Task AnOpaqueBodyCursor_IsSentBackAsAParameter()
    {
        Page("cursor", "c2", $$"""{"items":{{Tickets(3)}},"next_cursor":""}""");
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingGet()).AtPriority(5)
            .RespondWith(FakePlatform.Json($$"""{"items":{{Tickets(1, 2)}},"next_cursor":"c2"}"""));
        using var source = Source(_platform, Conversations(paginator: "type: cursor\nnext_path: $.next_cursor\ncursor_param: cursor"), _clock);

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));
    }

    [Fact]
    public async Task Incremental_SendsTheFilterInsideAQueryTemplate_AndResumesFromTheSavedCursorWithTheLookBack()
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(5)}}}"""));
        var incremental = "incremental:\n  param: sysparm_query\n  template: \"sys_updated_on>{since}^ORDERBYsys_updated_on\"\n  format: epoch_s\n  cursor_field: $.updated_at\n  lookback: 1m";
        using var source = Source(_platform, Conversations(incremental: incremental), _clock);

        var first = await Drain(source);
        var second = await Drain(source, first.Last().Cursor);

        var queries = _platform.Requests("/api/tickets").Select(e => e.RequestMessage!.Query!["sysparm_query"].Single()).ToList();
        Assert.Equal($"sys_updated_on>{(_clock.GetUtcNow() - TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1)).ToUnixTimeSeconds()}^ORDERBYsys_updated_on", queries[0]);
        Assert.Equal($"sys_updated_on>{new DateTimeOffset(2026, 1, 1, 0, 4, 0, TimeSpan.Zero).ToUnixTimeSeconds()}^ORDERBYsys_updated_on", queries[1]); // 00:05 minus 1m
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromSeconds(10), second.Last().Watermark);
    }

    private void Page(string param, string value, string body) =>
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").WithParam(param, value).UsingGet()).AtPriority(1).RespondWith(
            Response.Create().WithHeader("Content-Type", "application/json").WithHeader("X-Total-Pages", "2").WithBody(body));
}
