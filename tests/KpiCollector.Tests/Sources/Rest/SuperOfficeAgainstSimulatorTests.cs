using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.SuperOffice;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// The built-in <c>superoffice</c> profile against the simulator's SuperOffice face (the Ticket archive provider) over
/// HTTP on loopback, on one fake clock: every simulated request arrives with its documented columns mapped, through
/// short pages too, and a malformed page mid-backfill applies nothing and is read again after a restart.
/// </summary>
public sealed class SuperOfficeAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly TimerWatchingClock _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(200)]
    [InlineData(7)]
    public async Task TheProfile_DeliversEverySimulatedRequest_WithItsColumnsMapped(int pageSize)
    {
        using var source = Source(pageSize);

        var batches = await RestTestProfiles.Drain(source);

        var expected = Simulated(T0 - SuperOfficeFace.Lag);
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.True(expected.Count > 100, $"{expected.Count} requests: the face should hold many");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            var closed = sim.Status is ConversationStatus.Solved or ConversationStatus.Closed;
            var status = sim.Status switch
            {
                ConversationStatus.OnHold => ConversationStatus.OnHold,
                _ when closed => ConversationStatus.Closed,
                _ => ConversationStatus.Open,
            };
            var channel = sim.Channel is Channels.Chat or Channels.WhatsApp ? Channels.Web : sim.Channel;
            Assert.Equal((channel, status), (c.Channel, c.Status));
            Assert.Equal((Seconds(sim.CreatedAt), Seconds(sim.UpdatedAt)), (c.CreatedAt, c.UpdatedAt));
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstResponseAt);
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            Assert.Equal(sim.FirstHumanResponseAt is null ? null : ResponderKind.Human, c.FirstResponderKind);
            Assert.Equal(closed ? Seconds(sim.ResolvedAt ?? sim.ClosedAt) : null, c.ResolvedAt);
            Assert.Equal(sim.AgentPublicReplies ?? 0, c.AgentPublicReplies);
            Assert.Equal(sim.Priority is "low" or "high" or "urgent" ? sim.Priority : "medium", c.Priority);
            Assert.Null(c.Reopens); // SuperOffice has no reopen count
        }

        Assert.Contains(delivered.Values, c => c.Status == ConversationStatus.Open);
        Assert.Contains(delivered.Values, c => c.Team == "Support/Billing");
        Assert.Equal(T0 - TimeSpan.FromSeconds(10), batches.Last().Watermark);
        Assert.All(batches, b => Assert.Empty(b.Surveys));
    }

    [Fact]
    public async Task AMalformedPageMidBackfill_FailsWithParse_AppliesNothingOfIt_AndARestartReadsItAgain()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var face = _simulator.Service<SuperOfficeFace>();
        var applied = new HashSet<string>();
        var pages = 0;
        using (var first = Source(20))
        {
            var failure = await Assert.ThrowsAsync<SourceException>(async () =>
            {
                await foreach (var batch in first.PollAsync(null, CancellationToken.None))
                {
                    store.Apply("so", batch, _clock.GetUtcNow());
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

        using (var restarted = Source(20))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("so")!.Cursor, CancellationToken.None))
            {
                store.Apply("so", batch, _clock.GetUtcNow());
            }
        }

        var expected = Simulated(T0 - SuperOfficeFace.Lag);
        Assert.Equal(expected.Keys.Order(), store.ReadConversations().Select(c => c.ExternalId).Order());
    }

    [Fact]
    public async Task A5xxAndA429_AreRetried_AfterTheBackOffAndTheRetryAfterTheFaceAsks_AndThePollCompletes()
    {
        var face = _simulator.Service<SuperOfficeFace>();
        face.Faults.Arm(new Fault(FaultKind.ServerError, 1, 503, TimeSpan.Zero, TimeSpan.Zero));
        face.Faults.Arm(new Fault(FaultKind.RateLimit, 1, 500, TimeSpan.FromSeconds(7), TimeSpan.Zero));
        using var source = Source(200, maxRetries: 2);

        var drain = RestTestProfiles.Drain(source);
        var backoff = await _clock.WaitForTimerAsync(TimeSpan.FromSeconds(1)); // the first back-off, at full jitter
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(backoff.HasFired);
        var retryAfter = await _clock.WaitForTimerAsync(TimeSpan.FromSeconds(7)); // the Retry-After the 429 carried
        _clock.Advance(TimeSpan.FromSeconds(7));
        Assert.True(retryAfter.HasFired);
        var batches = await drain.WaitAsync(TimeSpan.FromSeconds(30));

        var expected = Simulated(_clock.GetUtcNow() - SuperOfficeFace.Lag);
        Assert.Equal(expected.Keys.Order(), batches.SelectMany(b => b.Conversations).Select(c => c.ExternalId).Distinct().Order());
    }

    private RestSource Source(int pageSize, int maxRetries = 0)
    {
        var profile = RestProfileLoader.BuiltInText("superoffice")!.Replace("page_size: 200", $"page_size: {pageSize}", StringComparison.Ordinal);
        return new RestSource(new SourceOptions
        {
            Name = "so",
            Platform = "rest",
            BaseUrl = _simulator.BaseUrl("superoffice"),
            Email = "simulator",
            ApiToken = "simulator-superoffice-password",
            Backfill = "6h",
            Timeout = "10s",
            RequestsPerMinute = 100_000,
            MaxRetries = maxRetries,
        }, 0, new RestSettings { Profile = pageSize == 200 ? "superoffice" : RestTestProfiles.Write(profile) }, _clock, NullLogger<RestSource>.Instance, jitter: new FullJitter());
    }

    /// <summary>The latest version of every simulated conversation up to <paramref name="until"/>, by its SuperOffice ticket id.</summary>
    private static Dictionary<string, Conversation> Simulated(DateTimeOffset until)
    {
        var simulation = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6));
        var latest = new Dictionary<string, Conversation>();
        foreach (var c in simulation.AdvanceTo(until).Conversations)
        {
            latest[int.Parse(c.ExternalId.AsSpan(4), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)] = c;
        }

        return latest;
    }

    /// <summary>Draws the top of every back-off range, so the first back-off is exactly its 1 s cap.</summary>
    private sealed class FullJitter : Random
    {
        public override double NextDouble() => 1.0;
    }

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static DateTimeOffset? Seconds(DateTimeOffset? at) => at is { } a ? Seconds(a) : null;
}
