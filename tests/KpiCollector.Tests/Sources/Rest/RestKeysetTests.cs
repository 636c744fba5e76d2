using System.Globalization;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary><c>paginator.type: keyset</c> against a loopback list that filters and sorts like an API: by (updated, id), or by id alone.</summary>
public sealed class RestKeysetTests : IDisposable
{
    private static readonly DateTimeOffset Day = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _dir = new();

    /// <summary>The list: id and update minute (of 2026-01-01); three records share 00:10.</summary>
    private readonly List<(int Id, int Minute)> _records = [(1, 5), (2, 10), (3, 10), (4, 10), (5, 20)];

    public RestKeysetTests() =>
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingGet()).AtPriority(10).RespondWith(Response.Create().WithCallback(List));

    public void Dispose()
    {
        _platform.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task WithAKeyParam_RecordsSharingTheLastInstant_AreNeitherLostNorRepeated_AcrossMoreThanAPage()
    {
        using var source = Source(_platform, TimeProfile(pageSize: 2, keyParam: true), _clock);

        var batches = await Drain(source);

        Assert.Equal(["1", "2", "3", "4", "5"], Ids(batches));
        Assert.Equal(
            ["updated_since=2026-01-01T00:00:00Z", "updated_since=2026-01-01T00:10:00Z&after_id=2", "updated_since=2026-01-01T00:10:00Z&after_id=4"],
            Filters());
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromSeconds(10), batches.Last().Watermark);
        Assert.Equal([null, null], batches.SkipLast(1).Select(b => b.Watermark));

        _platform.Server.ResetLogEntries();
        _records.Add((6, 20));
        Assert.Equal(["5", "6"], Ids(await Drain(source, batches.Last().Cursor))); // the next poll starts at the last instant (no key): an overlap, never a gap
        Assert.Equal(["updated_since=2026-01-01T00:20:00Z", "updated_since=2026-01-01T00:20:00Z&after_id=6"], Filters());
    }

    [Fact]
    public async Task ALookBackLongerThanAPage_IsReReadWhole_AndTheCursorDoesNotMoveBack()
    {
        using var source = Source(_platform, TimeProfile(pageSize: 2, keyParam: true, lookback: "15m"), _clock);
        var first = await Drain(source);
        _platform.Server.ResetLogEntries();

        var second = await Drain(source, first.Last().Cursor);

        Assert.Equal(["1", "2", "3", "4", "5"], Ids(second)); // 00:20 minus 15m: the whole look-back, over three pages
        Assert.Equal(["updated_since=2026-01-01T00:05:00Z", "updated_since=2026-01-01T00:10:00Z&after_id=2", "updated_since=2026-01-01T00:10:00Z&after_id=4"], Filters());
        _platform.Server.ResetLogEntries();
        await Drain(source, second.Last().Cursor);
        Assert.Equal("updated_since=2026-01-01T00:05:00Z", Filters()[0]); // the saved cursor stayed at 00:20
    }

    [Fact]
    public async Task WithoutAKeyParam_TheInclusiveFilterServesTheLastInstantAgain_AndTheKeyDropsWhatWasRead()
    {
        using var source = Source(_platform, TimeProfile(pageSize: 4, keyParam: false), _clock);

        Assert.Equal(["1", "2", "3", "4", "5"], Ids(await Drain(source)));
        Assert.Equal(["updated_since=2026-01-01T00:00:00Z", "updated_since=2026-01-01T00:10:00Z", "updated_since=2026-01-01T00:20:00Z"], Filters()); // page 2 is 2, 3, 4, 5: only 5 is new; page 3 (5) is short
    }

    [Fact]
    public async Task MoreThanAPageSharingOneInstant_WithoutAKeyParam_FailsThePollClearly_InsteadOfLooping()
    {
        using var source = Source(_platform, TimeProfile(pageSize: 3, keyParam: false), _clock);

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source));

        Assert.Contains("more than a page of records share one updated_since value", ex.Message, StringComparison.Ordinal);
        Assert.Contains("paginator.key_param", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, _platform.Count("/api/tickets"));
    }

    [Fact]
    public async Task AnIdKeyset_FiltersIdAboveTheLast_FromTheStartOfTheList_AndResumes()
    {
        var profile = Conversations(
            paginator: "type: keyset\nsize_param: limit\npage_size: 2",
            incremental: "incremental:\n  param: since_id\n  format: id\n  cursor_field: $.id");
        using var source = Source(_platform, profile, _clock);

        var first = await Drain(source);
        Assert.Equal(["1", "2", "3", "4", "5"], Ids(first));

        _records.Add((7, 30));
        var second = await Drain(source, first.Last().Cursor);
        Assert.Equal(["7"], Ids(second));
        Assert.Equal(["since_id=0", "since_id=2", "since_id=4", "since_id=5"], Filters());
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromSeconds(10), second.Last().Watermark);
    }

    [Fact]
    public async Task StoppedMidWalk_ARestartContinuesAfterTheLastRecordCommitted_NothingLostNothingTwice()
    {
        var profile = TimeProfile(pageSize: 2, keyParam: true);
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var applied = new List<string>();
        using (var first = Source(_platform, profile, _clock))
        {
            await foreach (var batch in first.PollAsync(null, CancellationToken.None))
            {
                store.Apply("rest", batch, _clock.GetUtcNow());
                applied.AddRange(Ids([batch]));
                break; // the process dies after committing page 1
            }
        }

        using (var restarted = Source(_platform, profile, _clock))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("rest")!.Cursor, CancellationToken.None))
            {
                store.Apply("rest", batch, _clock.GetUtcNow());
                applied.AddRange(Ids([batch]));
            }
        }

        Assert.Equal(["1", "2", "3", "4", "5"], applied);
        Assert.Equal(["updated_since=2026-01-01T00:00:00Z", "updated_since=2026-01-01T00:10:00Z&after_id=2", "updated_since=2026-01-01T00:10:00Z&after_id=4"], Filters());
    }

    [Fact]
    public async Task ARecordWithoutItsKey_RejectsThePageWhole()
    {
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingGet()).AtPriority(1).RespondWith(FakePlatform.Json(
            """{"items":[{"id":1,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:01:00Z","state":"open"},{"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:02:00Z","state":"open"}]}"""));
        using var source = Source(_platform, TimeProfile(pageSize: 2, keyParam: true), _clock);
        var batches = new List<SourceBatch>();

        var ex = await Assert.ThrowsAsync<SourceException>(async () =>
        {
            await foreach (var b in source.PollAsync(null, CancellationToken.None))
            {
                batches.Add(b);
            }
        });

        Assert.Equal(ErrorReasons.Parse, ex.Reason);
        Assert.Contains("key_field $.id", ex.Message, StringComparison.Ordinal);
        Assert.Empty(batches);
    }

    private static string TimeProfile(int pageSize, bool keyParam, string lookback = "0") => Conversations(
        paginator: $"type: keyset\nsize_param: limit\npage_size: {pageSize}\nkey_field: $.id" + (keyParam ? "\nkey_param: after_id" : ""),
        incremental: $"incremental:\n  param: updated_since\n  cursor_field: $.updated_at\n  lookback: {lookback}");

    /// <summary>The filter part of each request (without the page size), in order.</summary>
    private List<string> Filters() => [.. _platform.Requests("/api/tickets").Select(e => string.Join("&", e.RequestMessage!.Query!.Where(q => q.Key != "limit").Select(q => $"{q.Key}={q.Value.Single()}")))];

    /// <summary>
    /// <c>updated_since</c> (inclusive), with <c>after_id</c> meaning "at that instant, ids above it"; or
    /// <c>since_id</c> (ids above it); sorted by (updated, id) or id; <c>limit</c> records.
    /// </summary>
    private ResponseMessage List(IRequestMessage request)
    {
        var query = request.Query!;
        var limit = int.Parse(query["limit"].Single(), CultureInfo.InvariantCulture);
        IEnumerable<(int Id, int Minute)> rows;
        if (query.TryGetValue("since_id", out var sinceId))
        {
            var after = int.Parse(sinceId.Single(), CultureInfo.InvariantCulture);
            rows = _records.Where(r => r.Id > after).OrderBy(r => r.Id);
        }
        else
        {
            var since = DateTimeOffset.Parse(query["updated_since"].Single(), CultureInfo.InvariantCulture);
            var afterId = query.TryGetValue("after_id", out var a) ? int.Parse(a.Single(), CultureInfo.InvariantCulture) : (int?)null;
            rows = _records.Select(r => (r, At: Day.AddMinutes(r.Minute)))
                .Where(x => afterId is null ? x.At >= since : x.At > since || (x.At == since && x.r.Id > afterId))
                .OrderBy(x => x.At).ThenBy(x => x.r.Id).Select(x => x.r);
        }

        var items = string.Join(",", rows.Take(limit).Select(r => $$"""{"id":{{r.Id}},"created_at":"2026-01-01T00:00:00Z","updated_at":"{{Day.AddMinutes(r.Minute):yyyy-MM-dd'T'HH:mm:ss'Z'}}","state":"open"}"""));
        return new ResponseMessage
        {
            StatusCode = 200,
            Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
            BodyData = new BodyData { BodyAsString = $$"""{"items":[{{items}}]}""", DetectedBodyType = BodyType.String },
        };
    }
}
