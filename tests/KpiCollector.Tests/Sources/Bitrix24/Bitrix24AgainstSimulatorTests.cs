using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.Bitrix24;
using KpiCollector.Sources;
using KpiCollector.Sources.Bitrix24;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Bitrix24;

/// <summary>The real Bitrix24 connector against the simulator's Bitrix24 face over HTTP on loopback, on one fake clock.</summary>
public sealed class Bitrix24AgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h", "Simulator:Bitrix24:Burst=1000");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Backfill_ThenIncremental_DeliverEverySession_WithBotAndOperatorAnswersAndVotes()
    {
        using var source = Source(perPoll: 10_000);

        var batches = await Drain(source, null);

        var face = _simulator.Service<Bitrix24Face>();
        var expected = face.Helpdesk.Latest().Where(Bitrix24Face.IsSession).ToDictionary(c => FaceNumber(c.ExternalId));
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.True(expected.Count > 300, $"{expected.Count} simulated sessions");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            Assert.Equal(sim.Channel == Channels.Web ? Channels.Chat : sim.Channel, c.Channel); // the live chat widget carries both
            Assert.Equal(Seconds(sim.CreatedAt), c.CreatedAt);
            Assert.Equal(Seconds(sim.FirstResponseAt), c.FirstResponseAt);
            Assert.Equal(sim.FirstResponderKind, c.FirstResponderKind);
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            Assert.Equal(sim.Status is ConversationStatus.Solved or ConversationStatus.Closed, c.Status == ConversationStatus.Closed);
        }

        Assert.Contains(delivered.Values, c => c.FirstResponderKind == ResponderKind.Bot);
        var votes = batches.SelectMany(b => b.Surveys).ToList();
        Assert.Equal(expected.Keys.Count(id => face.Helpdesk.CsatOf(expected[id].ExternalId)?.Score is not null), votes.Select(v => v.ConversationId).Distinct().Count());
        Assert.All(votes, v => Assert.Contains(v.Score, new double?[] { 1, 5 }));
        Assert.Equal(T0 - Bitrix24Source.Overlap, batches[^1].Watermark);

        _clock.Advance(TimeSpan.FromMinutes(10));
        var before = source.Status.RequestsByCode.Values.Sum();
        var next = await Drain(source, batches[^1].Cursor);
        var updates = next.SelectMany(b => b.Conversations).Select(c => c.ExternalId).ToHashSet();
        Assert.NotEmpty(updates);
        Assert.True(updates.Count < delivered.Count / 4, "an incremental poll reads what changed, not everything");
        var pages = (int)Math.Ceiling((updates.Count + 1) / (double)Bitrix24Source.PageSize);
        Assert.True(source.Status.RequestsByCode.Values.Sum() - before <= 2 * pages, "a page of changes and a batch of their histories per 50 changes");
        Assert.Empty(Bitrix24Cursor.Parse(next[^1].Cursor).Pending);
    }

    [Fact]
    public async Task ASmallHistoryBudget_SpreadsTheBackfillOverPolls_AndEndsWithTheSameSessions()
    {
        using var source = Source(perPoll: 50);
        var all = new List<SourceBatch>();
        string? cursor = null;
        for (var poll = 0; poll < 20; poll++)
        {
            var batches = await Drain(source, cursor);
            all.AddRange(batches);
            cursor = batches[^1].Cursor;
            if (Bitrix24Cursor.Parse(cursor).Pending.Count == 0 && poll > 0)
            {
                break;
            }
        }

        var state = Bitrix24Cursor.Parse(cursor!);
        Assert.Empty(state.Pending);
        var face = _simulator.Service<Bitrix24Face>();
        var expected = face.Helpdesk.Latest().Where(Bitrix24Face.IsSession).ToDictionary(c => FaceNumber(c.ExternalId));
        var delivered = all.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        Assert.All(expected, kv => Assert.Equal(Seconds(kv.Value.FirstResponseAt), delivered[kv.Key].FirstResponseAt));
    }

    private Bitrix24Source Source(int perPoll = 200) => new(new SourceOptions
    {
        Name = "bx",
        Platform = Bitrix24Platform.Id,
        BaseUrl = _simulator.BaseUrl("bitrix24"),
        ApiToken = "simulator-bitrix24-webhook-code",
        Backfill = "6h",
        Timeout = "10s",
        RequestsPerMinute = 100_000,
        Settings = new Bitrix24Settings { UserId = 1, SessionHistoryPerPoll = perPoll },
    }, 0, _clock, NullLogger<Bitrix24Source>.Instance);

    private static string FaceNumber(string externalId) => (KpiCollector.Simulator.Faces.FaceResponses.Number(externalId) ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset? Seconds(DateTimeOffset? at) => at is { } a ? DateTimeOffset.FromUnixTimeSeconds(a.ToUnixTimeSeconds()) : null;

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
