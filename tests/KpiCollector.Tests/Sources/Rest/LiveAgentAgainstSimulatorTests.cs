using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.LiveAgent;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// The built-in <c>liveagent</c> profile against the simulator's LiveAgent face (API v3) over HTTP on loopback, on one
/// fake clock: every simulated ticket with its status, channel, department, agent and resolution mapped, its first
/// answer from the joined SLA log, through short pages too; a failed SLA-log request fails its page whole, which is
/// read again after a restart.
/// </summary>
public sealed class LiveAgentAgainstSimulatorTests : IAsyncLifetime
{
    public const string Key = "simulator-liveagent-apikey";
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
    [InlineData(100)]
    [InlineData(7)]
    public async Task TheProfile_DeliversEverySimulatedTicket_WithTheFirstAnswerJoined(int pageSize)
    {
        using var source = Source(pageSize);

        var batches = await RestTestProfiles.Drain(source);

        var expected = Simulated(T0 - LiveAgentFace.Lag);
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.True(expected.Count > 100, $"{expected.Count} tickets: the face should hold many");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            var channel = sim.Channel switch { Channels.Api => Channels.Web, Channels.Sms => Channels.Other, var ch => ch };
            Assert.Equal((channel, sim.Status), (c.Channel, c.Status));
            Assert.Equal((Seconds(sim.CreatedAt), Seconds(sim.UpdatedAt)), (c.CreatedAt, c.UpdatedAt));
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstResponseAt); // from the joined SLA log
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            Assert.Equal(sim.FirstHumanResponseAt is null ? null : ResponderKind.Human, c.FirstResponderKind);
            var resolved = sim.Status is ConversationStatus.Solved or ConversationStatus.Closed ? sim.ResolvedAt ?? sim.ClosedAt : null;
            Assert.Equal(Seconds(resolved), c.ResolvedAt);
            Assert.Equal(sim.Status == ConversationStatus.Closed ? Seconds(resolved) : null, c.ClosedAt);
            Assert.Equal(sim.Team is { } team ? $"dep_{team}" : null, c.Team);
            Assert.Null(c.Priority); // LiveAgent tickets have none
            Assert.Null(c.Reopens);
        }

        Assert.Contains(delivered.Values, c => c.FirstResponseAt is not null);
        Assert.Contains(delivered.Values, c => c.Channel == Channels.WhatsApp);
        // The chat ratings, from each ticket's messages: reward 5, punishment 1, none for a neutral answer.
        var face = _simulator.Service<LiveAgentFace>();
        // (A ticket read again, by a slide or the look-back, brings its ratings again: the store keeps each once.)
        var ratings = batches.SelectMany(b => b.Surveys).GroupBy(r => r.ExternalId).Select(g => g.Last()).ToList();
        var rated = expected.Where(e => face.Helpdesk.CsatOf(e.Value.ExternalId) is { Score: { } s } && s != 3).ToDictionary(e => e.Key, e => face.Helpdesk.CsatOf(e.Value.ExternalId)!);
        Assert.True(rated.Count > 10, $"{rated.Count} rated tickets");
        Assert.Equal(rated.Keys.Order(), ratings.Select(r => r.ConversationId!).Distinct().Order());
        Assert.Equal(rated.Count, ratings.Count); // one rating a rated ticket
        Assert.All(ratings, r => Assert.Equal((SurveyKind.Csat, rated[r.ConversationId!].Score >= 4 ? 5.0 : 1.0, Seconds(rated[r.ConversationId!].RespondedAt)), (r.Kind, r.Score!.Value, r.RespondedAt)));
        Assert.Equal(T0 - TimeSpan.FromSeconds(10), batches.Last().Watermark);
    }

    [Fact]
    public async Task AFailedSlaLogRequest_FailsItsPageWhole_AndARestartReadsItAgain()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var face = _simulator.Service<LiveAgentFace>();
        var applied = new HashSet<string>();
        var pages = 0;
        using (var first = Source(20))
        {
            var failure = await Assert.ThrowsAsync<SourceException>(async () =>
            {
                await foreach (var batch in first.PollAsync(null, CancellationToken.None))
                {
                    store.Apply("la", batch, _clock.GetUtcNow());
                    applied.UnionWith(batch.Conversations.Select(c => c.ExternalId));
                    if (++pages == 2)
                    {
                        // The third page's ticket list is served; its SLA-log request, the next one, fails.
                        face.Faults.Arm(new Fault(FaultKind.Slow, 1, 500, TimeSpan.Zero, TimeSpan.Zero));
                        face.Faults.Arm(new Fault(FaultKind.ServerError, 1, 500, TimeSpan.Zero, TimeSpan.Zero));
                    }
                }
            });
            Assert.Equal(ErrorReasons.Http5xx, failure.Reason);
        }

        Assert.Equal(2, pages);
        Assert.Equal(applied.Order(), store.ReadConversations().Select(c => c.ExternalId).Order()); // nothing of the third page

        using (var restarted = Source(20))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("la")!.Cursor, CancellationToken.None))
            {
                store.Apply("la", batch, _clock.GetUtcNow());
            }
        }

        var expected = Simulated(T0 - LiveAgentFace.Lag);
        Assert.Equal(expected.Keys.Order(), store.ReadConversations().Select(c => c.ExternalId).Order());
        Assert.Equal(expected.Values.Count(c => c.FirstHumanResponseAt is not null), store.ReadConversations().Count(c => c.FirstResponseAt is not null));
    }

    private RestSource Source(int pageSize)
    {
        // One poll reads the whole backfill: the fan-out's budget of calls a poll is raised (RestFanOutTests spread it).
        var profile = RestProfileLoader.BuiltInText("liveagent")!.Replace("      page_size: 100\n", $"      page_size: {pageSize}\n", StringComparison.Ordinal)
            .Replace("max_calls_per_poll: 100\n", "max_calls_per_poll: 100000\n", StringComparison.Ordinal);
        Assert.Contains("max_calls_per_poll: 100000", profile, StringComparison.Ordinal);
        return new RestSource(new SourceOptions
        {
            Name = "la",
            Platform = "rest",
            BaseUrl = _simulator.BaseUrl("liveagent"),
            ApiToken = Key,
            Backfill = "6h",
            Timeout = "10s",
            RequestsPerMinute = 100_000,
            MaxRetries = 0,
        }, 0, new RestSettings
        {
            Profile = RestTestProfiles.Write(profile),
            Variables = new() { ["account"] = "simulator" },
        }, _clock, NullLogger<RestSource>.Instance);
    }

    /// <summary>
    /// The latest version of every simulated conversation up to <paramref name="until"/>, by its LiveAgent ticket id,
    /// as the face holds it (a rating moves its update time).
    /// </summary>
    private Dictionary<string, Conversation> Simulated(DateTimeOffset until)
    {
        var latest = new Dictionary<string, Conversation>();
        foreach (var c in _simulator.Service<LiveAgentFace>().Helpdesk.Latest().Where(c => c.UpdatedAt <= until))
        {
            latest[LiveAgentFace.TicketId(long.Parse(c.ExternalId.AsSpan(4), CultureInfo.InvariantCulture))] = c;
        }

        return latest;
    }

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static DateTimeOffset? Seconds(DateTimeOffset? at) => at is { } a ? Seconds(a) : null;
}
