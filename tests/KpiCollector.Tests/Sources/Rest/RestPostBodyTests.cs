using System.Globalization;
using System.Text.Json.Nodes;
using KpiCollector.Sources.Rest;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using RestSharp;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>A stream read with <c>method: POST</c>: the body template filled, and the paginator's value written into it.</summary>
public sealed class RestPostBodyTests : IDisposable
{
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly List<JsonObject> _bodies = [];

    public void Dispose() => _platform.Dispose();

    [Fact]
    public async Task AnOffsetInTheBody_AndTheFilterInABodyString_WithVariables()
    {
        Serve(body => (body["paging"]?["offset"]?.GetValue<long>() ?? -1) switch
        {
            0 => $$"""{"items":{{Tickets(1, 2)}}}""",
            2 => $$"""{"items":{{Tickets(3)}}}""",
            _ => """{"items":[]}""",
        });
        var profile = Post(
            "body: { filter: { updated_after: \"{since}\", team: \"{team}\", open: true }, paging: { limit: 2 } }",
            "type: offset\npage_size: 2\ninject_into: body\nbody_path: paging.offset",
            "incremental:\n  cursor_field: $.updated_at\n  lookback: 1s");
        using var source = Source(_platform, profile, _clock, variables: new() { ["team"] = "blue" });

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));

        Assert.Equal(
            [
                """{"filter":{"updated_after":"2025-12-31T23:59:59Z","team":"blue","open":true},"paging":{"limit":2,"offset":0}}""",
                """{"filter":{"updated_after":"2025-12-31T23:59:59Z","team":"blue","open":true},"paging":{"limit":2,"offset":2}}""",
            ],
            _bodies.Select(b => b.ToJsonString()));
        var request = _platform.Requests("/api/tickets").First().RequestMessage!;
        Assert.Equal("POST", request.Method);
        Assert.StartsWith("application/json", request.Headers!["Content-Type"].Single(), StringComparison.Ordinal);
        Assert.Empty(request.Query ?? new Dictionary<string, WireMockList<string>>());
    }

    [Fact]
    public async Task ACursorInTheBody_IsAddedFromThe2ndPage_AndANumericSinceIsANumber()
    {
        Serve(body => body["page"]?["after"]?.GetValue<string>() switch
        {
            null => $$"""{"items":{{Tickets(1, 2)}},"next":"c2"}""",
            "c2" => $$"""{"items":{{Tickets(3)}},"next":null}""",
            _ => """{"items":[]}""",
        });
        var profile = Post(
            "body: { since: \"{since}\", page: { size: 2 } }",
            "type: cursor\nnext_path: $.next\ninject_into: body\nbody_path: page.after",
            "incremental:\n  param: changed_since\n  format: epoch_s\n  cursor_field: $.updated_at");
        using var source = Source(_platform, profile, _clock);

        Assert.Equal(["1", "2", "3"], Ids(await Drain(source)));

        var since = (_clock.GetUtcNow() - TimeSpan.FromDays(1)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        Assert.Equal([$$$"""{"since":{{{since}}},"page":{"size":2}}""", $$$"""{"since":{{{since}}},"page":{"size":2,"after":"c2"}}"""], _bodies.Select(b => b.ToJsonString()));
        Assert.All(_platform.Requests("/api/tickets"), e => Assert.Equal(since, e.RequestMessage!.Query!["changed_since"].Single())); // a param is still sent in the query
    }

    [Fact]
    public async Task APostWithoutABody_SendsAnEmptyObject_AndAQueryPaginatorStaysInTheQuery()
    {
        Serve(_ => $$"""{"items":{{Tickets(1)}}}""");
        using var source = Source(_platform, Post("", "type: page_number\npage_size: 2"), _clock);

        Assert.Equal(["1"], Ids(await Drain(source)));

        Assert.Equal("{}", Assert.Single(_bodies).ToJsonString());
        Assert.Equal("1", _platform.Requests("/api/tickets").Single().RequestMessage!.Query!["page"].Single());
    }

    [Fact]
    public void TheCheckProbe_OfAPostStream_IsAPostWithItsBody_TheLastHourAsSince()
    {
        var profile = RestProfileLoader.Parse(Post("body: { q: \"{team}\", after: \"{since}\" }", "type: none", "incremental:\n  format: epoch_ms\n  cursor_field: $.updated_at"), "p", ["team"], [])!;

        var probe = RestSource.Probe(new RestRequest("api/tickets"), profile.Streams[0], new Dictionary<string, string> { ["team"] = "blue" }, _clock.GetUtcNow());

        Assert.Equal(Method.Post, probe.Method);
        var body = Assert.Single(probe.Parameters.OfType<BodyParameter>());
        Assert.Equal($$$"""{"q":"blue","after":{{{(_clock.GetUtcNow() - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds()}}}}""", body.Value);
    }

    private static string Post(string body, string paginator, string incremental = "") =>
        Conversations(paginator: paginator, incremental: incremental)
            .Replace("    path: api/tickets", "    path: api/tickets\n    method: POST" + (body.Length > 0 ? "\n    " + body : ""), StringComparison.Ordinal);

    /// <summary>POST /api/tickets answers what <paramref name="page"/> makes of the request's JSON body (each body is kept).</summary>
    private void Serve(Func<JsonObject, string> page) =>
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingPost()).RespondWith(Response.Create().WithCallback(request =>
        {
            var body = JsonNode.Parse(request.Body!)!.AsObject();
            lock (_bodies)
            {
                _bodies.Add(body);
            }

            return new ResponseMessage
            {
                StatusCode = 200,
                Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new BodyData { BodyAsString = page(body), DetectedBodyType = BodyType.String },
            };
        }));
}
