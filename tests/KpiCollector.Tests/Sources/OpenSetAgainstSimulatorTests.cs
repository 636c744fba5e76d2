using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces;
using KpiCollector.Sources;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Zendesk;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ChatwootFace = KpiCollector.Simulator.Faces.Chatwoot.ChatwootFace;
using FreshdeskFace = KpiCollector.Simulator.Faces.Freshdesk.FreshdeskFace;
using ZendeskFace = KpiCollector.Simulator.Faces.Zendesk.ZendeskFace;

namespace KpiCollector.Tests.Sources;

/// <summary>
/// The open set of each helpdesk connector against the simulator's faces, over HTTP on loopback, on one fake clock:
/// fourteen days of simulated history in which some emails sit unseen for days (open, unanswered, unchanged), read by
/// a collector whose backfill is ten days. The incremental reads alone cannot see the oldest of those tickets; the
/// reconciliation must, and must also drop what the platform no longer has, without ever dropping on a listing that
/// failed, and without applying anything twice across a restart. The figures are compared with the same simulation
/// run directly, through the real engine fed from the store.
/// </summary>
public sealed class OpenSetAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private static readonly TimeSpan History = TimeSpan.FromDays(14);
    private static readonly TimeSpan Backfill = TimeSpan.FromDays(10);

    private static readonly SimulatorAppOptions Model = new()
    {
        ArrivalsPerHour = 6,
        StrandedShare = 0.3,
        StrandedFor = "30d",
    };

    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(
        _clock,
        "Simulator:Backfill=14d",
        $"Simulator:ArrivalsPerHour={Model.ArrivalsPerHour.ToString(CultureInfo.InvariantCulture)}",
        $"Simulator:StrandedShare={Model.StrandedShare.ToString(CultureInfo.InvariantCulture)}",
        $"Simulator:StrandedFor={Model.StrandedFor}",
        "Simulator:Zendesk:RequestsPerMinute=100000",
        "Simulator:Freshdesk:RequestsPerMinute=100000");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(ZendeskPlatform.Id)]
    [InlineData(FreshdeskPlatform.Id)]
    [InlineData(ChatwootPlatform.Id)]
    public async Task TenDayBackfill_OverFourteenDaysOfHistory_CountsEveryOpenConversation(string platform)
    {
        using var store = Store();
        using var source = Source(platform, store);

        await PollAsync(source, store);

        var open = Truth(platform, T0).Values.Where(c => !c.Status.IsEnded()).ToList();
        var unanswered = open.Where(c => Unanswered(platform, c)).ToList();
        // The point of the test: open, unanswered tickets that no incremental read since T0 - 10d has seen.
        Assert.Contains(unanswered, c => c.UpdatedAt < T0 - Backfill - TimeSpan.FromDays(1));

        var (backlog, waiting, oldest) = Figures(store, source.Name);
        Assert.Equal(open.Count, backlog);
        Assert.Equal(unanswered.Count, waiting);
        Assert.Equal(Seconds(unanswered.Min(c => c.CreatedAt)), oldest);
        Assert.Equal(open.Select(c => Id(c.ExternalId)).Order(), store.OpenConversations(source.Name).Keys.Order());
    }

    [Theory]
    [InlineData(ZendeskPlatform.Id)]
    [InlineData(FreshdeskPlatform.Id)]
    [InlineData(ChatwootPlatform.Id)]
    public async Task ConversationsThePlatformNoLongerLists_LeaveTheOpenSet_AtTheNextReconciliation(string platform)
    {
        using var store = Store();
        using var source = Source(platform, store);
        await PollAsync(source, store);
        var truth = Truth(platform, T0);

        // Deleted on the platform: an old stranded ticket, so the simulation would not have touched it anyway.
        var deleted = truth.Values.Where(c => !c.Status.IsEnded() && c.UpdatedAt < T0 - Backfill).OrderBy(c => c.CreatedAt).First();
        Assert.True(Face(platform).Helpdesk.Delete(deleted.ExternalId));

        // Closed on the platform long ago, while the store (say, after a missed change) still holds it as open.
        var solved = truth.Values.First(c => c.Status.IsEnded() && c.UpdatedAt < T0 - Backfill && c.UpdatedAt - c.CreatedAt > TimeSpan.FromMinutes(5));
        var staleOpen = new Conversation
        {
            Source = source.Name,
            ExternalId = Id(solved.ExternalId),
            Channel = Channels.Email,
            Status = ConversationStatus.Open,
            CreatedAt = Seconds(solved.CreatedAt),
            UpdatedAt = Seconds(solved.CreatedAt),
        };
        store.Apply(source.Name, new SourceBatch { Conversations = [staleOpen], Cursor = store.GetCheckpoint(source.Name)!.Cursor }, _clock.GetUtcNow());
        Assert.Contains(Id(solved.ExternalId), store.OpenConversations(source.Name).Keys);

        // Before the interval: the polls stay incremental, nothing is reconciled yet.
        _clock.Advance(TimeSpan.FromMinutes(5));
        await PollAsync(source, store);
        Assert.Contains(Id(deleted.ExternalId), store.OpenConversations(source.Name).Keys);

        _clock.Advance(TimeSpan.FromHours(1));
        var reconciledAt = _clock.GetUtcNow();
        await PollAsync(source, store);

        var stored = store.ReadConversations().Where(c => c.Source == source.Name).ToDictionary(c => c.ExternalId);
        var gone = stored[Id(deleted.ExternalId)];
        Assert.Equal(ConversationStatus.Closed, gone.Status);
        Assert.Equal(reconciledAt, gone.ClosedAt);
        Assert.True(stored[Id(solved.ExternalId)].Status.IsEnded());
        Assert.InRange((stored[Id(solved.ExternalId)].UpdatedAt - solved.UpdatedAt).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1)); // the platform's version

        var now = Truth(platform, reconciledAt);
        now.Remove(deleted.ExternalId);
        var open = now.Values.Where(c => !c.Status.IsEnded()).ToList();
        Assert.Equal(open.Select(c => Id(c.ExternalId)).Order(), store.OpenConversations(source.Name).Keys.Order());
        var (backlog, waiting, _) = Figures(store, source.Name);
        Assert.Equal(open.Count, backlog);
        Assert.Equal(open.Count(c => Unanswered(platform, c)), waiting);
    }

    [Theory]
    [InlineData(ZendeskPlatform.Id)]
    [InlineData(FreshdeskPlatform.Id)]
    [InlineData(ChatwootPlatform.Id)]
    public async Task AReconciliationThatFailsMidway_DropsNothing_AndTheNextPollDoesItAgain(string platform)
    {
        using var store = Store();
        using var source = Source(platform, store);
        await PollAsync(source, store);
        var deleted = Truth(platform, T0).Values.Where(c => !c.Status.IsEnded() && c.UpdatedAt < T0 - Backfill).OrderBy(c => c.CreatedAt).First();
        Assert.True(Face(platform).Helpdesk.Delete(deleted.ExternalId));
        _clock.Advance(TimeSpan.FromHours(1));

        // The platform starts failing right after the first page of the listing.
        var face = Face(platform);
        var failure = await Assert.ThrowsAsync<SourceException>(() => PollAsync(source, store, afterFirstListingPage: () =>
            face.Faults.Arm(new Fault(FaultKind.ServerError, -1, 500, TimeSpan.Zero, TimeSpan.Zero))));
        Assert.Equal(ErrorReasons.Http5xx, failure.Reason);
        Assert.Contains(Id(deleted.ExternalId), store.OpenConversations(source.Name).Keys);

        // Not completed, so the next poll reconciles again, without waiting for the interval.
        face.Faults.Clear();
        await PollAsync(source, store);
        Assert.DoesNotContain(Id(deleted.ExternalId), store.OpenConversations(source.Name).Keys);
    }

    [Theory]
    [InlineData(ZendeskPlatform.Id)]
    [InlineData(FreshdeskPlatform.Id)]
    [InlineData(ChatwootPlatform.Id)]
    public async Task StoppedMidReconciliation_ARestartFinishesIt_AndAppliesNothingTwice(string platform)
    {
        using var store = Store();
        var firstAttempt = new List<string>();
        using (var first = Source(platform, store))
        {
            // The process stops right after the first listing page that brought conversations new to the store was committed.
            await PollAsync(first, store, afterFirstListingPage: () => throw new OperationCanceledException(), into: firstAttempt);
        }

        Assert.NotEmpty(firstAttempt);
        Assert.All(firstAttempt, id => Assert.Contains(id, store.OpenConversations("src").Keys));

        using var restarted = Source(platform, store);
        var changes = new List<RecordChange<Conversation>>();
        await PollAsync(restarted, store, applied: changes);

        // The clock did not move: the restart only adds what the first attempt had not reached, never a version again.
        Assert.All(changes, c => Assert.Null(c.Old));
        Assert.DoesNotContain(changes, c => firstAttempt.Contains(c.New.ExternalId));
        var open = Truth(platform, T0).Values.Where(c => !c.Status.IsEnded()).ToList();
        var (backlog, waiting, oldest) = Figures(store, restarted.Name);
        Assert.Equal(open.Count, backlog);
        Assert.Equal(open.Count(c => Unanswered(platform, c)), waiting);
        Assert.Equal(Seconds(open.Where(c => Unanswered(platform, c)).Min(c => c.CreatedAt)), oldest);
    }

    /// <summary>
    /// One poll, each batch committed with its cursor as the poller does. <paramref name="afterFirstListingPage"/> runs
    /// once the first batch after the incremental read (the first page of the reconciliation) was committed; with
    /// <paramref name="into"/>, once the first such batch with conversations was, whose ids go there.
    /// </summary>
    private async Task PollAsync(
        Connector source,
        SqliteStore store,
        Action? afterFirstListingPage = null,
        List<string>? into = null,
        List<RecordChange<Conversation>>? applied = null)
    {
        var checkpoint = store.GetCheckpoint(source.Name);
        var watermark = checkpoint?.Watermark;
        var incrementalDone = false;
        try
        {
            await foreach (var batch in source.Inner.PollAsync(checkpoint?.Cursor, CancellationToken.None))
            {
                var changes = store.Apply(source.Name, batch, _clock.GetUtcNow());
                applied?.AddRange(changes.Conversations);
                if (incrementalDone && afterFirstListingPage is not null && (into is null || batch.Conversations.Count > 0))
                {
                    into?.AddRange(batch.Conversations.Select(c => c.ExternalId));
                    var act = afterFirstListingPage;
                    afterFirstListingPage = null;
                    act();
                }

                incrementalDone |= batch.Watermark is { } w && (watermark is null || w > watermark);
            }
        }
        catch (OperationCanceledException) when (into is not null)
        {
            // the simulated stop
        }
    }

    private SqliteStore Store()
    {
        var store = new SqliteStore(_dir.File($"{Guid.NewGuid():N}.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }

    private IFaceWithHelpdesk Face(string platform) => platform switch
    {
        ZendeskPlatform.Id => new FaceView(_simulator.Service<ZendeskFace>().Faults, _simulator.Service<ZendeskFace>().Helpdesk),
        FreshdeskPlatform.Id => new FaceView(_simulator.Service<FreshdeskFace>().Faults, _simulator.Service<FreshdeskFace>().Helpdesk),
        _ => new FaceView(_simulator.Service<ChatwootFace>().Faults, _simulator.Service<ChatwootFace>().Helpdesk),
    };

    private Connector Source(string platform, SqliteStore store)
    {
        var options = new SourceOptions
        {
            Name = "src",
            Platform = platform,
            BaseUrl = _simulator.BaseUrl(platform),
            Backfill = "10d",
            Timeout = "10s",
            MaxRetries = 0,
            RequestsPerMinute = 100_000,
        };
        switch (platform)
        {
            case ZendeskPlatform.Id:
                options.Email = "admin@simulator.test";
                options.ApiToken = "simulator-zendesk-token";
                options.Settings = new ZendeskSettings { ExportRequestsPerMinute = 1000, Csat = ZendeskSettings.CsatOff };
                return new Connector(new ZendeskSource(options, 0, _clock, NullLogger<ZendeskSource>.Instance, openSet: store));
            case FreshdeskPlatform.Id:
                options.ApiToken = "simulator-freshdesk-key";
                options.Settings = new FreshdeskSettings { TicketsRequestsPerMinute = 10_000, Csat = false };
                return new Connector(new FreshdeskSource(options, 0, _clock, NullLogger<FreshdeskSource>.Instance, openSet: store));
            default:
                options.ApiToken = "simulator-chatwoot-token";
                options.Settings = new ChatwootSettings { AccountId = 1, Csat = false };
                return new Connector(new ChatwootSource(options, 0, _clock, NullLogger<ChatwootSource>.Instance, openSet: store));
        }
    }

    /// <summary>Backlog (every status that counts), unanswered and the oldest unanswered creation time, as the engine computes them from the store.</summary>
    private (long Backlog, long Unanswered, DateTimeOffset? Oldest) Figures(SqliteStore store, string source)
    {
        var engine = new KpiEngine(new EngineOptions(), _clock);
        engine.Apply(store.ReadConversations().Select(c => new RecordChange<Conversation>(null, c)));
        var all = engine.Snapshot().Series.Single(s => s.Key == new SeriesKey(source, Channels.All));
        return (all.BacklogByStatus.Sum(), all.Unanswered, all.OldestUnansweredCreatedAt);
    }

    /// <summary>
    /// The latest version of every conversation the simulation produced up to what the face serves at
    /// <paramref name="now"/> (its horizon lags the clock), stepping an hour at a time as the face does.
    /// </summary>
    private static Dictionary<string, Conversation> Truth(string platform, DateTimeOffset now)
    {
        var lag = platform switch
        {
            ZendeskPlatform.Id => ZendeskFace.ExportLag,
            FreshdeskPlatform.Id => FreshdeskFace.Lag,
            _ => ChatwootFace.Lag,
        };
        var epoch = T0 - History;
        var until = now - lag;
        var simulation = new TrafficSimulation(Model.ToModel(), "x", epoch);
        var latest = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        for (var t = epoch; t < until;)
        {
            t = t + TimeSpan.FromHours(1) < until ? t + TimeSpan.FromHours(1) : until;
            foreach (var c in simulation.AdvanceTo(t).Conversations)
            {
                latest[c.ExternalId] = c;
            }
        }

        return latest;
    }

    /// <summary>
    /// Unanswered as the connector can know it: Zendesk's and Freshdesk's first reply is the first agent reply (bots are
    /// invisible to their metrics); Chatwoot's messages show a bot's reply too.
    /// </summary>
    private static bool Unanswered(string platform, Conversation c) =>
        c.FirstHumanResponseAt is null && (platform != ChatwootPlatform.Id || c.FirstResponseAt is null);

    /// <summary>The platform's id of a simulated conversation: the number in <c>sim-000123</c>.</summary>
    private static string Id(string simulated) =>
        int.Parse(simulated.AsSpan(4), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private interface IFaceWithHelpdesk
    {
        FaultPlan Faults { get; }

        SimulatedHelpdesk Helpdesk { get; }
    }

    private sealed record FaceView(FaultPlan Faults, SimulatedHelpdesk Helpdesk) : IFaceWithHelpdesk;

    /// <summary>A connector under test, disposed with its HTTP client.</summary>
    private sealed class Connector(ISource inner) : IDisposable
    {
        public ISource Inner => inner;

        public string Name => inner.Name;

        public void Dispose() => (inner as IDisposable)?.Dispose();
    }
}
