using System.Globalization;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary><c>incremental.mode: newest_first</c>: a list without an updated-since filter, walked from the top down to the saved cursor.</summary>
public sealed class RestNewestFirstTests : IDisposable
{
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero)); // the backfill (1d) starts at 2026-01-01T00:00Z
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _platform.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task TheFirstWalk_StopsAtTheBackfillStart_TheNextAtTheSavedCursor_WithoutAFilter()
    {
        Pages(Tickets(5, 4), Tickets(3, 0), Tickets(9)); // ticket 0 is updated at the backfill start: the walk stops there
        using var source = Source(_platform, Profile(), _clock);

        var first = await Drain(source);

        Assert.Equal(["5", "4", "3"], Ids(first));
        Assert.Equal(["1", "2"], PagesRequested());
        Assert.All(_platform.Requests("/api/tickets"), e => Assert.Equal(["page", "per_page"], e.RequestMessage!.Query!.Keys.Order()));

        _platform.Server.ResetMappings();
        _platform.Server.ResetLogEntries();
        Pages(Tickets(6, 5), Tickets(4, 3));
        var second = await Drain(source, first.Last().Cursor);

        Assert.Equal(["6"], Ids(second)); // ticket 5 is the saved cursor: the walk stops on it
        Assert.Equal(["1"], PagesRequested());
    }

    [Fact]
    public async Task TheLookBack_WalksPastTheSavedCursor_AndTheCursorKeepsTheNewestRecord()
    {
        Pages(Tickets(5, 1), Tickets());
        using var source = Source(_platform, Profile("lookback: 2m"), _clock);
        var first = await Drain(source);
        Assert.Equal(["5", "1"], Ids(first));

        _platform.Server.ResetMappings();
        Pages(Tickets(6, 5), Tickets(4, 3), Tickets(2));
        var second = await Drain(source, first.Last().Cursor);
        Assert.Equal(["6", "5", "4"], Ids(second)); // 00:03 is the saved 00:05 minus 2m: the walk stops there

        _platform.Server.ResetMappings();
        Pages(Tickets(6, 5), Tickets(4, 3));
        Assert.Equal(["6", "5"], Ids(await Drain(source, second.Last().Cursor))); // from 00:06 minus 2m
    }

    [Fact]
    public async Task StoppedMidWalk_ARestartWalksAgainFromTheTop_LosingNothing_AndOnlyTheFinishedWalkMovesTheCursorAndWatermark()
    {
        Pages(Tickets(5, 4), Tickets(3, 2), Tickets(1));
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        using (var first = Source(_platform, Profile(), _clock))
        {
            await foreach (var batch in first.PollAsync(null, CancellationToken.None))
            {
                Assert.Null(batch.Watermark);
                store.Apply("rest", batch, _clock.GetUtcNow());
                break; // the process dies after committing page 1
            }
        }

        var requestedAt = _clock.GetUtcNow();
        using (var restarted = Source(_platform, Profile(), _clock))
        {
            var batches = new List<KpiCollector.Core.Records.SourceBatch>();
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("rest")!.Cursor, CancellationToken.None))
            {
                batches.Add(batch);
                store.Apply("rest", batch, _clock.GetUtcNow());
                _clock.Advance(TimeSpan.FromMinutes(1));
            }

            Assert.Equal(new DateTimeOffset?[] { null, null, requestedAt - TimeSpan.FromSeconds(10) }, batches.Select(b => b.Watermark)); // complete up to the walk's first request
        }

        Assert.Equal(["1", "2", "3", "4", "5"], store.ReadConversations().Select(c => c.ExternalId).Order());
        Assert.Equal(["1", "1", "2", "3"], PagesRequested()); // page 1 again: the list may have moved meanwhile

        _platform.Server.ResetMappings();
        _platform.Server.ResetLogEntries();
        Pages(Tickets(5, 4));
        using var third = Source(_platform, Profile(), _clock);
        Assert.Empty(Ids(await Drain(third, store.GetCheckpoint("rest")!.Cursor)));
        Assert.Equal(["1"], PagesRequested());
    }

    [Fact]
    public void TheProfileLoads_WithTheModeAndNoFilter()
    {
        var incremental = RestProfileLoader.Parse(Profile("lookback: 5m"), "p", [], [])!.Streams[0].Incremental!;

        Assert.True(incremental.NewestFirst);
        Assert.Equal(TimeSpan.FromMinutes(5), incremental.Lookback);
    }

    private static string Profile(string extra = "") => Conversations(
        paginator: "type: page_number\nsize_param: per_page\npage_size: 2",
        incremental: "incremental:\n  mode: newest_first\n  cursor_field: $.updated_at" + (extra.Length > 0 ? "\n  " + extra : ""));

    /// <summary>Page n (1-based) of the newest-first list answers the n-th body.</summary>
    private void Pages(params string[] pages)
    {
        for (var i = 0; i < pages.Length; i++)
        {
            _platform.Server.Given(Request.Create().WithPath("/api/tickets").WithParam("page", (i + 1).ToString(CultureInfo.InvariantCulture)).UsingGet())
                .RespondWith(FakePlatform.Json($$"""{"items":{{pages[i]}}}"""));
        }
    }

    private List<string> PagesRequested() => [.. _platform.Requests("/api/tickets").Select(e => e.RequestMessage!.Query!["page"].Single())];
}
