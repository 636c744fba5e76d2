using System.Globalization;
using System.Net;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Sources;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Freshdesk;

/// <summary>
/// The real Freshdesk connector against the simulator's Freshdesk face (documented shapes, its own status and source
/// codes, the 300-page wall), over HTTP on loopback, on one fake clock.
/// </summary>
public sealed class FreshdeskAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h", "Simulator:Freshdesk:RequestsPerMinute=100000");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task TheFaceEnforcesThe300PageWall()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "freshdesk/api/v2/tickets?updated_since=2020-01-01T00:00:00Z&page=301");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String("simulator-freshdesk-key:X"u8.ToArray()));

        using var response = await _simulator.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("You cannot access tickets beyond the 300th page", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABackfillOfFarMoreThan300Pages_SlidesUpdatedSince_AndDeliversExactlyTheSimulatedTickets()
    {
        using var source = Source(perPage: 1);

        var batches = await Drain(source, null);

        var expected = Simulated(T0 - FreshdeskFace());
        Assert.True(expected.Count > FreshdeskSource.MaxPage, $"{expected.Count} tickets: more than 300 pages of one ticket is the point");
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            Assert.Equal((sim.Channel, sim.Status is ConversationStatus.New ? ConversationStatus.Open : sim.Status), (c.Channel, c.Status));
            Assert.Equal(Seconds(sim.UpdatedAt), c.UpdatedAt);
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstResponseAt);
        }

        Assert.Contains(delivered.Values, c => c.Status == ConversationStatus.Pending); // through custom status 6
        Assert.Contains(delivered.Values, c => c.Channel == Channels.Sms); // through the custom source named SMS
        var csat = batches.SelectMany(b => b.Surveys).ToList();
        Assert.NotEmpty(csat);
        Assert.All(csat, s => Assert.Contains(s.Score!.Value, new[] { -103.0, -102, 100, 102, 103 }));
        Assert.Equal(T0 - FreshdeskSource.ListLag, batches.Last().Watermark);
    }

    [Fact]
    public async Task StoppedMidPoll_ARestartResumesFromTheStoredCursor_NothingLost()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        using (var first = Source(perPage: 20))
        {
            var pages = 0;
            await foreach (var batch in first.PollAsync(null, CancellationToken.None))
            {
                store.Apply("fd", batch, _clock.GetUtcNow());
                if (++pages == 5)
                {
                    break;
                }
            }
        }

        _clock.Advance(TimeSpan.FromMinutes(20));
        using (var restarted = Source(perPage: 20))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("fd")!.Cursor, CancellationToken.None))
            {
                store.Apply("fd", batch, _clock.GetUtcNow());
            }
        }

        var expected = Simulated(T0 + TimeSpan.FromMinutes(20) - FreshdeskFace());
        var stored = store.ReadConversations().ToDictionary(c => c.ExternalId);
        Assert.Equal(expected.Keys.Order(), stored.Keys.Order());
        Assert.All(expected, kv => Assert.Equal(Seconds(kv.Value.UpdatedAt), stored[kv.Key].UpdatedAt));
    }

    private static TimeSpan FreshdeskFace() => KpiCollector.Simulator.Faces.Freshdesk.FreshdeskFace.Lag;

    private FreshdeskSource Source(int perPage) => new(new SourceOptions
    {
        Name = "fd",
        Platform = FreshdeskPlatform.Id,
        BaseUrl = _simulator.BaseUrl("freshdesk"),
        ApiToken = "simulator-freshdesk-key",
        Backfill = "6h",
        Timeout = "10s",
        RequestsPerMinute = 100_000,
        Settings = new FreshdeskSettings { PerPage = perPage, TicketsRequestsPerMinute = 10_000 },
    }, 0, _clock, NullLogger<FreshdeskSource>.Instance);

    /// <summary>The latest version of every simulated conversation up to <paramref name="until"/>, by its Freshdesk ticket id.</summary>
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

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static DateTimeOffset? Seconds(DateTimeOffset? at) => at is { } a ? Seconds(a) : null;

    private static async Task<List<SourceBatch>> Drain(ISource source, string? cursor)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }
}
