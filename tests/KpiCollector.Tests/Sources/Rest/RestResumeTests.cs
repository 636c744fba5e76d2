using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>A poll stopped mid-read resumes, in a new source on the same store, at the page after the last one committed.</summary>
public sealed class RestResumeTests : IDisposable
{
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _platform.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task StoppedAfterTheFirstPage_ARestartReadsOnlyTheRest_NothingLostNothingTwice()
    {
        for (var page = 1; page <= 3; page++)
        {
            var ids = page == 3 ? new[] { 5 } : new[] { (2 * page) - 1, 2 * page };
            _platform.Server.Given(Request.Create().WithPath("/api/tickets").WithParam("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture)).UsingGet())
                .RespondWith(FakePlatform.Json($$"""{"items":{{Tickets(ids)}}}"""));
        }

        var profile = Conversations(paginator: "type: page_number\npage_size: 2");
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        using (var first = Source(_platform, profile, _clock))
        {
            await foreach (var batch in first.PollAsync(null, CancellationToken.None))
            {
                store.Apply("rest", batch, _clock.GetUtcNow());
                break; // the process dies after committing page 1
            }
        }

        using (var restarted = Source(_platform, profile, _clock))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("rest")!.Cursor, CancellationToken.None))
            {
                store.Apply("rest", batch, _clock.GetUtcNow());
            }
        }

        Assert.Equal(["1", "2", "3", "4", "5"], store.ReadConversations().Select(c => c.ExternalId).Order());
        var pages = _platform.Requests("/api/tickets").Select(e => e.RequestMessage!.Query!["page"].Single()).ToList();
        Assert.Equal(["1", "2", "3"], pages); // page 1 is not read again
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromSeconds(10), store.GetCheckpoint("rest")!.Watermark);
    }
}
