using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.HelpDesk;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// The built-in <c>helpdesk</c> profile against the simulator's HelpDesk.com face over HTTP on loopback, on one fake
/// clock: the newest-first walk delivers every simulated ticket with its fields mapped from the ticket and its
/// embedded events, through short pages too; the next poll reads only the top of the list; a malformed page mid-walk
/// applies nothing of it and the next walk, from the top, loses nothing.
/// </summary>
public sealed class HelpDeskAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(100)]
    [InlineData(7)]
    public async Task TheProfile_DeliversEverySimulatedTicket_WithItsFieldsMapped(int pageSize)
    {
        using var source = Source(pageSize);

        var batches = await RestTestProfiles.Drain(source);

        var expected = Simulated(T0 - HelpDeskFace.Lag);
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.True(expected.Count > 100, $"{expected.Count} tickets: the face should hold many");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            var ended = sim.Status is ConversationStatus.Solved or ConversationStatus.Closed;
            Assert.Equal((Channel(sim.Channel), sim.Status == ConversationStatus.New ? ConversationStatus.Open : sim.Status), (c.Channel, c.Status));
            Assert.Equal((Ms(sim.CreatedAt), Ms(sim.UpdatedAt)), (c.CreatedAt, c.UpdatedAt));
            Assert.Equal(Ms(sim.FirstHumanResponseAt), c.FirstResponseAt);
            Assert.Equal(Ms(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            Assert.Equal(sim.FirstHumanResponseAt is null ? null : ResponderKind.Human, c.FirstResponderKind);
            Assert.Equal(Ms(sim.FirstResolvedAt ?? (ended ? sim.ResolvedAt ?? sim.ClosedAt ?? sim.UpdatedAt : null)), c.FirstResolvedAt);
            Assert.Equal(ended ? Ms(ResolvedAt(sim)) : null, c.ResolvedAt);
            Assert.Equal(sim.Status == ConversationStatus.Closed ? Ms(sim.ClosedAt) : null, c.ClosedAt);
            Assert.Equal(sim.AssigneeId, c.AssigneeId);
            Assert.Equal(sim.Team is { } t ? char.ToUpperInvariant(t[0]) + t[1..] : null, c.Team);
            Assert.Null(c.Reopens); // no reopen counter: only events
        }

        Assert.Contains(delivered.Values, c => c.Status == ConversationStatus.Open);
        Assert.Contains(delivered.Values, c => c.Status == ConversationStatus.Solved);
        Assert.Equal(T0 - TimeSpan.FromSeconds(10), batches.Last().Watermark);
        Assert.Equal((expected.Count + pageSize - 1) / pageSize, batches.Count); // the first walk goes back to the backfill start: the whole list
    }

    [Fact]
    public async Task TheNextPoll_ReadsOnlyTheTopOfTheList_DownToTheSavedCursor()
    {
        using var source = Source(100);
        var first = await RestTestProfiles.Drain(source);
        var cursor = first.Last().Cursor;

        _clock.Advance(TimeSpan.FromMinutes(10));
        var second = await RestTestProfiles.Drain(source, cursor);

        var changed = Simulated(_clock.GetUtcNow() - HelpDeskFace.Lag).Where(kv => kv.Value.UpdatedAt > T0 - HelpDeskFace.Lag - TimeSpan.FromMinutes(1)).Select(kv => kv.Key).ToList();
        Assert.NotEmpty(changed);
        Assert.True(second.Count <= 2, $"{second.Count} pages read: the walk should stop at the saved cursor");
        Assert.Equal(changed.Order(), second.SelectMany(b => b.Conversations).Select(c => c.ExternalId).Distinct().Order());
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromSeconds(10), second.Last().Watermark);
    }

    [Fact]
    public async Task AMalformedPageMidWalk_FailsWithParse_AppliesNothingOfIt_AndTheNextWalkFromTheTopLosesNothing()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var face = _simulator.Service<HelpDeskFace>();
        var applied = new HashSet<string>();
        var pages = 0;
        using (var first = Source(20))
        {
            var failure = await Assert.ThrowsAsync<SourceException>(async () =>
            {
                await foreach (var batch in first.PollAsync(null, CancellationToken.None))
                {
                    store.Apply("hd", batch, _clock.GetUtcNow());
                    applied.UnionWith(batch.Conversations.Select(c => c.ExternalId));
                    if (++pages == 2)
                    {
                        face.Faults.Arm(new Fault(FaultKind.Malformed, 1, 500, TimeSpan.Zero, TimeSpan.Zero)); // the third page
                    }
                }
            });
            Assert.Equal(ErrorReasons.Parse, failure.Reason);
        }

        Assert.Equal(2, pages);
        Assert.Equal(applied.Order(), store.ReadConversations().Select(c => c.ExternalId).Order()); // nothing of the broken page
        Assert.Null(store.GetCheckpoint("hd")!.Watermark); // the walk did not finish

        using (var restarted = Source(20))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("hd")!.Cursor, CancellationToken.None))
            {
                store.Apply("hd", batch, _clock.GetUtcNow());
            }
        }

        var expected = Simulated(T0 - HelpDeskFace.Lag);
        Assert.Equal(expected.Keys.Order(), store.ReadConversations().Select(c => c.ExternalId).Order());
    }

    private RestSource Source(int pageSize)
    {
        var profile = RestProfileLoader.BuiltInText("helpdesk")!.Replace("page_size: 100", $"page_size: {pageSize}", StringComparison.Ordinal);
        return new RestSource(new SourceOptions
        {
            Name = "hd",
            Platform = "rest",
            BaseUrl = _simulator.BaseUrl("helpdesk"),
            ApiToken = "simulator-helpdesk-token",
            Backfill = "6h",
            Timeout = "10s",
            RequestsPerMinute = 100_000,
            MaxRetries = 0,
        }, 0, new RestSettings
        {
            Profile = pageSize == 100 ? "helpdesk" : RestTestProfiles.Write(profile),
            Variables = new Dictionary<string, string> { ["account_id"] = "simulator-helpdesk-account" },
        }, _clock, NullLogger<RestSource>.Instance);
    }

    /// <summary>The latest version of every simulated conversation up to <paramref name="until"/>, by its HelpDesk ticket id.</summary>
    private static Dictionary<string, Conversation> Simulated(DateTimeOffset until)
    {
        var simulation = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6));
        var latest = new Dictionary<string, Conversation>();
        foreach (var c in simulation.AdvanceTo(until).Conversations)
        {
            latest[HelpDeskFace.TicketId(c.ExternalId)] = c;
        }

        return latest;
    }

    /// <summary>The last resolution: the last solved event.</summary>
    private static DateTimeOffset? ResolvedAt(Conversation c) => c.FirstResolvedAt is { } first
        ? c.ResolvedAt is { } last && last > first ? last : first
        : c.ResolvedAt ?? c.ClosedAt ?? c.UpdatedAt;

    private static string Channel(string simulated) => simulated switch
    {
        Channels.WhatsApp => Channels.Chat,
        Channels.Sms or Channels.Other => Channels.Other,
        _ => simulated,
    };

    private static DateTimeOffset Ms(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private static DateTimeOffset? Ms(DateTimeOffset? at) => at is { } a ? Ms(a) : null;
}
