using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.Trengo;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// The built-in <c>trengo</c> profile against the simulator's Trengo face over HTTP on loopback, on one fake clock:
/// every simulated ticket arrives with its list fields and its messages' first replies mapped; the messages fan-out
/// spends its budget per poll, resumes after a restart over the same store, and calls again only for changed tickets;
/// against the face's own 20-a-minute budget the source pauses on <c>X-RateLimit-Remaining: 0</c> and meets no 429;
/// a malformed page mid-backfill applies nothing of it and is read again after a restart.
/// </summary>
public sealed class TrengoAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h", "Simulator:Trengo:RequestsPerMinute=100000");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task TheProfile_DeliversEverySimulatedTicket_WithItsFieldsMapped()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        using var source = Source(store);

        await PollUntilDoneAsync(source, store);

        var expected = Simulated(T0 - TrengoFace.Lag);
        var delivered = store.ReadConversations().ToDictionary(c => c.ExternalId);
        Assert.True(expected.Count > 100, $"{expected.Count} tickets: the face should hold many");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            var status = TrengoFace.Status(sim) switch { "OPEN" => ConversationStatus.New, "ASSIGNED" => ConversationStatus.Open, _ => ConversationStatus.Solved };
            Assert.Equal((Channel(sim.Channel), status), (c.Channel, c.Status));
            Assert.Equal((Seconds(sim.CreatedAt), Seconds(sim.UpdatedAt)), (c.CreatedAt, c.UpdatedAt));
            Assert.Equal(status == ConversationStatus.Solved ? Seconds(sim.ResolvedAt ?? sim.ClosedAt ?? sim.UpdatedAt) : null, c.ResolvedAt);
            Assert.Equal(FaceResponses.Number(sim.AssigneeId)?.ToString(CultureInfo.InvariantCulture), c.AssigneeId);
            Assert.Equal(sim.Team switch { "billing" => "Billing", "tech" => "Technical support", "sales" => "Sales", _ => null }, c.Team);
            Assert.Null(c.Reopens); // no per-ticket reopen count
            var bot = sim.FirstResponderKind == ResponderKind.Bot && sim.FirstResponseAt is not null;
            Assert.Equal(Seconds(bot ? sim.FirstResponseAt : sim.FirstHumanResponseAt), c.FirstResponseAt);
            Assert.Equal(bot ? ResponderKind.Bot : sim.FirstHumanResponseAt is null ? null : ResponderKind.Human, c.FirstResponderKind);
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            Assert.Equal(bot ? Seconds(sim.BotHandoffAt is { } h && h > sim.FirstResponseAt ? h : sim.FirstResponseAt) : null, c.BotHandoffAt);
        }

        Assert.Contains(delivered.Values, c => c.FirstResponderKind == ResponderKind.Bot && c.FirstHumanResponseAt is not null);
        Assert.Contains(delivered.Values, c => c.FirstResponderKind == ResponderKind.Bot && c.FirstHumanResponseAt is null);

        Assert.Contains(delivered.Values, c => c.Status == ConversationStatus.New);
        Assert.Contains(delivered.Values, c => c.Status == ConversationStatus.Open);
    }

    [Fact]
    public async Task TheFanOut_SpendsItsBudgetPerPoll_ResumesAfterARestart_AndCallsAgainOnlyForChangedTickets()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var face = _simulator.Service<TrengoFace>();
        var tickets = Simulated(T0 - TrengoFace.Lag).Count;

        using (var first = Source(store))
        {
            await foreach (var batch in first.PollAsync(null, CancellationToken.None))
            {
                store.Apply("tr", batch, _clock.GetUtcNow());
                Assert.Null(batch.Watermark); // the backfill is not done while tickets wait for their calls
            }
        }

        Assert.Equal(90, face.MessageRequests); // the profile's max_calls_per_poll
        var afterFirst = store.ReadConversations().Count();
        Assert.InRange(afterFirst, 90, 90 + 24); // the tickets done, and those of the page before the budget ran out

        int polls;
        using (var restarted = Source(store))
        {
            polls = await PollUntilDoneAsync(restarted, store);
        }

        Assert.Equal((tickets + 89) / 90 - 1, polls); // the first poll's share was not called for again
        Assert.Equal(tickets, face.MessageRequests); // one call per ticket: nothing twice, even across the restart
        Assert.Equal(tickets, store.ReadConversations().Count());

        using var later = Source(store);
        var before = face.MessageRequests;
        _clock.Advance(TimeSpan.FromMinutes(5));
        var changed = Simulated(_clock.GetUtcNow() - TrengoFace.Lag)
            .Where(kv => kv.Value.UpdatedAt >= T0 - TrengoFace.Lag - TimeSpan.FromSeconds(1))
            .ToDictionary();
        await PollUntilDoneAsync(later, store, expectedCount: changed.Count > 0 ? Simulated(_clock.GetUtcNow() - TrengoFace.Lag).Count : tickets);
        var calls = face.MessageRequests - before;
        Assert.InRange(calls, 1, changed.Count); // the changed tickets only (those read again unchanged: from the cache)
        var stored = store.ReadConversations().ToDictionary(c => c.ExternalId);
        foreach (var (id, sim) in changed)
        {
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), stored[id].FirstHumanResponseAt);
        }
    }

    [Fact]
    public async Task AgainstTrengosOwnBudget_TheSourcePausesWhenTheRemainingHeaderReadsZero_AndGetsNo429()
    {
        var clock = new TimerWatchingClock(T0); // T0 is on a minute: the face's budget renews 60 s after it
        await using var simulator = await SimulatorHost.StartAsync(clock, "Simulator:Backfill=6h", "Simulator:Trengo:RequestsPerMinute=20");
        var face = simulator.Service<TrengoFace>();
        using var source = new RestSource(new SourceOptions
        {
            Name = "tr",
            Platform = "rest",
            BaseUrl = simulator.BaseUrl("trengo"),
            ApiToken = "simulator-trengo-token",
            Backfill = "6h",
            Timeout = "10s",
            RequestsPerMinute = 100_000,
            MaxRetries = 0,
        }, 0, new RestSettings { Profile = "trengo" }, clock, NullLogger<RestSource>.Instance);

        var drain = RestTestProfiles.Drain(source);
        for (var minute = 1; minute <= 4; minute++) // 1 list page + 90 messages calls: 20, 40, 60 and 80 requests reach the budget
        {
            var pause = await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60));
            Assert.InRange(face.MessageRequests, (20 * minute) - 4, (20 * minute) - 1); // the minute's 20, list pages among them
            clock.Advance(TimeSpan.FromSeconds(60));
            Assert.True(pause.HasFired);
        }

        var batches = await drain.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, face.Throttled);
        Assert.Equal(90, face.MessageRequests);
        Assert.True(batches.Sum(b => b.Conversations.Count) >= 90);
    }

    [Fact]
    public async Task AMalformedPageMidBackfill_FailsWithParse_AppliesNothingOfIt_AndARestartReadsItAgain()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var face = _simulator.Service<TrengoFace>();
        var applied = new HashSet<string>();
        var pages = 0;
        using (var first = Source(store))
        {
            var failure = await Assert.ThrowsAsync<SourceException>(async () =>
            {
                await foreach (var batch in first.PollAsync(null, CancellationToken.None))
                {
                    store.Apply("tr", batch, _clock.GetUtcNow());
                    applied.UnionWith(batch.Conversations.Select(c => c.ExternalId));
                    if (++pages == 2)
                    {
                        face.Faults.Arm(new Fault(FaultKind.Malformed, 1, 500, TimeSpan.Zero, TimeSpan.Zero)); // the next request
                    }
                }
            });
            Assert.Equal(ErrorReasons.Parse, failure.Reason);
        }

        Assert.Equal(2, pages);
        Assert.Equal(applied.Order(), store.ReadConversations().Select(c => c.ExternalId).Order()); // nothing of the broken page

        using (var restarted = Source(store))
        {
            await PollUntilDoneAsync(restarted, store);
        }

        Assert.Equal(Simulated(T0 - TrengoFace.Lag).Keys.Order(), store.ReadConversations().Select(c => c.ExternalId).Order());
    }

    /// <summary>Polls from the saved cursor, applying each batch, until a poll ends with the watermark set and nothing pending.</summary>
    private async Task<int> PollUntilDoneAsync(RestSource source, SqliteStore store, int maxPolls = 50, int? expectedCount = null)
    {
        var expected = expectedCount ?? Simulated(T0 - TrengoFace.Lag).Count;
        for (var poll = 1; poll <= maxPolls; poll++)
        {
            SourceBatch? last = null;
            await foreach (var batch in source.PollAsync(store.GetCheckpoint("tr")?.Cursor, CancellationToken.None))
            {
                store.Apply("tr", batch, _clock.GetUtcNow());
                last = batch;
            }

            if (last?.Watermark is not null && store.ReadConversations().Count() >= expected)
            {
                return poll;
            }
        }

        throw new InvalidOperationException($"not done after {maxPolls} polls");
    }

    private RestSource Source(SqliteStore store) => new(new SourceOptions
    {
        Name = "tr",
        Platform = "rest",
        BaseUrl = _simulator.BaseUrl("trengo"),
        ApiToken = "simulator-trengo-token",
        Backfill = "6h",
        Timeout = "10s",
        RequestsPerMinute = 100_000,
        MaxRetries = 0,
    }, 0, new RestSettings { Profile = "trengo" }, _clock, NullLogger<RestSource>.Instance, state: store);

    /// <summary>The latest version of every simulated conversation up to <paramref name="until"/>, by its Trengo ticket id.</summary>
    private static Dictionary<string, Conversation> Simulated(DateTimeOffset until)
    {
        var simulation = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6));
        var latest = new Dictionary<string, Conversation>();
        foreach (var c in simulation.AdvanceTo(until).Conversations)
        {
            latest[FaceResponses.Number(c.ExternalId)!.Value.ToString(CultureInfo.InvariantCulture)] = c;
        }

        return latest;
    }

    private static string Channel(string simulated) => simulated is Channels.Web or Channels.Api or Channels.Other ? Channels.Other : simulated;

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static DateTimeOffset? Seconds(DateTimeOffset? at) => at is { } a ? Seconds(a) : null;
}
