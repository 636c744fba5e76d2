using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Sources;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ChatwootFace = KpiCollector.Simulator.Faces.Chatwoot.ChatwootFace;

namespace KpiCollector.Tests.Sources.Chatwoot;

/// <summary>The real Chatwoot connector against the simulator's Chatwoot face over HTTP on loopback, on one fake clock.</summary>
public sealed class ChatwootAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Backfill_ThenIncremental_DeliverTheSimulatedConversations_WithBotAndHumanResponses()
    {
        using var source = Source();

        var batches = await Drain(source, null);

        var expected = Simulated(T0 - ChatwootFace.Lag);
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.True(batches.Count(b => b.Conversations.Count > 0) > 10, "the backfill pages 25 at a time");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            Assert.Equal((Channel(sim.Channel), Status(sim.Status)), (c.Channel, c.Status));
            Assert.Equal(Seconds(sim.FirstResponseAt), c.FirstResponseAt); // bot replies from the messages, human from first_reply_created_at
            Assert.Equal(sim.FirstResponderKind, c.FirstResponderKind);
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            Assert.Equal(sim.AgentPublicReplies, c.AgentPublicReplies); // replies from the WhatsApp Business app (external echoes) included
            Assert.Equal(sim.Reopens, c.Reopens); // from the status-change activity messages
            Assert.Equal(sim.Status is ConversationStatus.Solved or ConversationStatus.Closed ? Seconds(sim.ResolvedAt ?? sim.ClosedAt) : null, c.ResolvedAt); // the resolve, not the label added at the close
        }

        Assert.Contains(delivered.Values, c => c.FirstResponderKind == ResponderKind.Bot);
        Assert.Contains(delivered.Values, c => c.Reopens > 0 && c.Status == ConversationStatus.Solved && c.ResolvedAt > c.FirstResolvedAt);
        Assert.Equal("4.13.0", source.Status.PlatformVersion);
        var csat = batches.SelectMany(b => b.Surveys).ToList();
        Assert.Equal(SimulatedCsat(T0 - ChatwootFace.Lag), csat.Count);
        Assert.All(csat, s => Assert.Equal((1.0, 5.0), (s.ScaleMin, s.ScaleMax)));
        Assert.Equal(T0 - ChatwootSource.ReadLag, batches[^1].Watermark);

        _clock.Advance(TimeSpan.FromMinutes(15));
        var next = await Drain(source, batches[^1].Cursor);
        var later = Simulated(T0 + TimeSpan.FromMinutes(15) - ChatwootFace.Lag);
        var changed = later.Where(kv => !expected.TryGetValue(kv.Key, out var before) || before.UpdatedAt != kv.Value.UpdatedAt).Select(kv => kv.Key).ToHashSet();
        var updates = next.SelectMany(b => b.Conversations).Select(c => c.ExternalId).ToHashSet();
        Assert.NotEmpty(changed);
        Assert.Superset(changed, updates); // every change since, in one unpaginated request (plus the one-minute overlap)
        Assert.True(updates.Count < delivered.Count / 2, "an incremental poll reads what changed, not everything");
    }

    [Fact]
    public async Task ASteadyStatePoll_ReadsTheNewCsatResponsesInOneRequest()
    {
        // A quieter account, so that the hour read again (the overlap) fits in one page while the history does not.
        await using var quiet = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=2d", "Simulator:ArrivalsPerHour=25");
        using var source = Source(readMessages: false, quiet, backfill: "2d");
        var first = await Drain(source, null);
        var before = source.Status.RequestsByCode.Values.Sum();
        _clock.Advance(TimeSpan.FromMinutes(5));

        var second = await Drain(source, first[^1].Cursor);

        Assert.True(first.SelectMany(b => b.Surveys).Count() > 25, "more responses than one page, so a read of the whole history would page");
        Assert.Equal(2, source.Status.RequestsByCode.Values.Sum() - before); // one conversations request, one CSAT request
        var newest = first.SelectMany(b => b.Surveys).Max(s => s.RespondedAt);
        Assert.All(second.SelectMany(b => b.Surveys), s => Assert.True(s.RespondedAt >= newest - TimeSpan.FromHours(1), $"{s.ExternalId} at {s.RespondedAt:u} was read again")); // only the overlap again
    }

    private ChatwootSource Source(bool readMessages = true, SimulatorHost? simulator = null, string backfill = "6h") => new(new SourceOptions
    {
        Name = "cw",
        Platform = ChatwootPlatform.Id,
        BaseUrl = (simulator ?? _simulator).BaseUrl("chatwoot"),
        ApiToken = "simulator-chatwoot-token",
        Backfill = backfill,
        Timeout = "10s",
        Settings = new ChatwootSettings { AccountId = 1, ReadMessages = readMessages },
    }, 0, _clock, NullLogger<ChatwootSource>.Instance);

    /// <summary>Chatwoot's inboxes: the website widget carries chat and web, an API inbox carries phone.</summary>
    private static string Channel(string simulated) => simulated switch
    {
        Channels.Web => Channels.Chat,
        Channels.Phone => Channels.Api,
        var c => c,
    };

    /// <summary>Chatwoot has no closed: a closed conversation is resolved.</summary>
    private static ConversationStatus Status(ConversationStatus simulated) =>
        simulated == ConversationStatus.Closed ? ConversationStatus.Solved : simulated;

    private static Dictionary<string, Conversation> Simulated(DateTimeOffset until) =>
        new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6)).AdvanceTo(until).Conversations
            .ToDictionary(c => int.Parse(c.ExternalId.AsSpan(4), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));

    private static int SimulatedCsat(DateTimeOffset until) =>
        new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6)).AdvanceTo(until).Surveys.Count(s => s.Kind == SurveyKind.Csat && s.Score is not null); // the face serves answered ratings only

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
