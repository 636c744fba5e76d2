using System.Reflection;
using System.Runtime.ExceptionServices;
using KpiCollector.Configuration;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Pipeline;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Pipeline;

/// <summary>
/// The pipeline applies a page's conversations to the engine while the store writes and commits them: a commit that
/// fails must leave the engine and the SLA clocks as they were, and the page applied again later counts once.
/// </summary>
public sealed class IngestPipelineTests : IDisposable
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly TempDirectory _dir = new();

    [Fact]
    public void ACommitThatFails_LeavesTheEngineAndTheClocksAsTheyWere_AndTheRetryCountsOnce()
    {
        using var failing = new Rig(_dir.File("failing.db"));
        using var clean = new Rig(_dir.File("clean.db"));
        failing.Pipeline.Ingest("src", Batch("c1", Page(0, 60, replied: false)));
        clean.Pipeline.Ingest("src", Batch("c1", Page(0, 60, replied: false)));
        var engineBefore = SnapshotLines.Of(failing.Engine.Snapshot());
        var clocksBefore = Running(failing.Sla);
        var outcomesBefore = Outcomes(failing.Store);
        Assert.NotEmpty(clocksBefore);

        // The next page replies to the first 40 and brings 40 new conversations, and its watermark breaches running
        // clocks (the page's own and earlier ones); its commit fails.
        var next = Batch("c2", [.. Page(0, 40, replied: true), .. Page(60, 100, replied: false)]) with { Watermark = T0 };
        Assert.Contains(clocksBefore, c => c.EndsWith("|Breaching", StringComparison.Ordinal)); // clocks the watermark will breach
        failing.FailCommits = true;
        var failure = Assert.Throws<IOException>(() => failing.Pipeline.Ingest("src", next));

        Assert.Equal("disk I/O error", failure.Message);
        Assert.Equal(engineBefore, SnapshotLines.Of(failing.Engine.Snapshot()));
        Assert.Equal(clocksBefore, Running(failing.Sla));
        Assert.Equal(outcomesBefore, Outcomes(failing.Store));
        Assert.Equal(60, failing.Store.ReadConversations().Count());
        Assert.Equal("c1", failing.Store.GetCheckpoint("src")!.Cursor);

        // The poll retries the page: the engine ends where a pipeline whose commit never failed is.
        failing.FailCommits = false;
        failing.Pipeline.Ingest("src", next);
        clean.Pipeline.Ingest("src", next);
        Assert.Equal(SnapshotLines.Of(clean.Engine.Snapshot()), SnapshotLines.Of(failing.Engine.Snapshot()));
        Assert.NotEqual(engineBefore, SnapshotLines.Of(failing.Engine.Snapshot()));
        Assert.Equal(Running(clean.Sla), Running(failing.Sla));
        Assert.Equal(Outcomes(clean.Store), Outcomes(failing.Store));
        Assert.NotEqual(outcomesBefore, Outcomes(failing.Store));
    }

    /// <summary>
    /// The breaches a page's watermark settles are recorded in the page's own transaction: over random pages of
    /// conversations and messages, the stored outcomes, the engine and the clocks are exactly those of settling the
    /// same watermarks afterwards in a second transaction (what the pipeline did before), and no second one is made.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TheWatermarksBreaches_CommitWithThePage_ExactlyAsSettlingThemAfterwards(int seed)
    {
        using var inPage = new Rig(_dir.File($"in-page-{seed}.db"));
        using var afterwards = new Rig(_dir.File($"afterwards-{seed}.db"));
        var random = new Random(seed);
        var versions = new Dictionary<string, Conversation>();
        var at = T0.AddDays(-2);
        for (var page = 0; page < 40; page++)
        {
            at = at.AddMinutes(random.Next(5, 40));
            var conversations = new List<Conversation>();
            for (var i = 0; i < random.Next(5, 30); i++)
            {
                var id = $"t{random.Next(120)}";
                conversations.Add(versions[id] = Next(random, id, versions.GetValueOrDefault(id), at));
            }

            var messages = Enumerable.Range(0, random.Next(0, 6)).Select(i => Message(random, $"m{page}-{i}", at)).ToList();
            var batch = new SourceBatch { Conversations = conversations, Messages = messages, Cursor = $"p{page}", Watermark = at.AddMinutes(-random.Next(0, 90)) };
            inPage.Pipeline.Ingest("src", batch);
            afterwards.Pipeline.Ingest("src", batch with { Watermark = null });
            afterwards.Pipeline.AdvanceSla("src", batch.Watermark!.Value);
        }

        Assert.Equal(Outcomes(afterwards.Store), Outcomes(inPage.Store));
        Assert.True(Outcomes(inPage.Store).Count(o => o.EndsWith("|False", StringComparison.Ordinal)) > 20, "the pages breach clocks");
        Assert.Equal(SnapshotLines.Of(afterwards.Engine.Snapshot()), SnapshotLines.Of(inPage.Engine.Snapshot()));
        Assert.Equal(Running(afterwards.Sla), Running(inPage.Sla));
        Assert.Equal(0, inPage.OutcomeTransactions);
        Assert.True(afterwards.OutcomeTransactions > 0);
    }

    public void Dispose() => _dir.Dispose();

    private static List<string> Outcomes(IStore store) =>
        [.. store.ReadOutcomes().Select(o => $"{o.Policy}|{o.ConversationId}|{o.Start.ToUnixTimeMilliseconds()}|{o.DecidedAt.ToUnixTimeMilliseconds()}|{o.Channel}|{o.Met}").Order(StringComparer.Ordinal)];

    private static List<string> Running(SlaEvaluator sla) =>
        [.. sla.Running(T0).Select(c => $"{c.Policy}|{c.ConversationId}|{c.Start.ToUnixTimeMilliseconds()}|{c.State}").Order(StringComparer.Ordinal)];

    /// <summary>A conversation's next version: created, replied, solved, reopened, or its creation time corrected.</summary>
    private static Conversation Next(Random random, string id, Conversation? last, DateTimeOffset at)
    {
        if (last is null)
        {
            var channel = random.Next(3) switch { 0 => Channels.WhatsApp, 1 => Channels.Email, _ => Channels.Chat };
            return Records.Conversation(id, at.AddMinutes(-random.Next(0, 120)), channel) with { UpdatedAt = at };
        }

        var next = random.Next(5) switch
        {
            0 when last.FirstResponseAt is null => last with { FirstResponseAt = at, FirstResponderKind = random.Next(2) == 0 ? ResponderKind.Bot : ResponderKind.Human, Status = ConversationStatus.Open },
            1 when last.FirstResponseAt is not null && last.FirstHumanResponseAt is null => last with { FirstHumanResponseAt = at },
            2 when !last.Status.IsEnded() => last with { Status = ConversationStatus.Solved, ResolvedAt = at, FirstResolvedAt = last.FirstResolvedAt ?? at },
            3 when last.Status.IsEnded() => last with { Status = ConversationStatus.Open, ResolvedAt = null, Reopens = (last.Reopens ?? 0) + 1 },
            _ => last with { CreatedAt = last.CreatedAt.AddMinutes(-random.Next(1, 30)) },
        };
        return next with { UpdatedAt = at };
    }

    private static MessageEvent Message(Random random, string id, DateTimeOffset at)
    {
        var inbound = random.Next(2) == 0;
        var conversation = $"t{random.Next(120)}";
        return new MessageEvent
        {
            Source = "src",
            ExternalId = id,
            ConversationId = conversation,
            At = at.AddMinutes(-random.Next(0, 60)),
            Direction = inbound ? MessageDirection.Inbound : MessageDirection.Outbound,
            Author = inbound ? AuthorKind.Customer : AuthorKind.Human,
            Channel = Channels.WhatsApp,
            StartsWait = inbound,
            RespondsToAt = inbound ? null : at.AddMinutes(-random.Next(60, 120)),
        };
    }

    private static SourceBatch Batch(string cursor, IReadOnlyList<Conversation> conversations) =>
        new() { Conversations = conversations, Cursor = cursor, Watermark = T0.AddHours(-3) };

    private static List<Conversation> Page(int from, int to, bool replied) =>
        Enumerable.Range(from, to - from).Select(i =>
        {
            var c = Records.Conversation($"t{i}", T0.AddHours(-6).AddMinutes(i), i % 3 == 0 ? Channels.Email : Channels.WhatsApp) with { RequesterId = $"r{i % 11}" };
            return replied ? c.Replied(TimeSpan.FromMinutes(10 + i)) with { UpdatedAt = c.CreatedAt.AddMinutes(10 + i) } : c;
        }).ToList();

    /// <summary>A store, engine, SLA evaluator and pipeline wired as the collector wires them; the store can fail its commits.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly SqliteStore _sqlite;
        private readonly FailingCommits _proxy;

        public Rig(string path)
        {
            var options = new KpiCollectorOptions();
            options.Windows = KpiWindow.Defaults.Select(w => w.Name).ToList();
            options.Sla.Windows = KpiWindow.SlaDefaults.Select(w => w.Name).ToList();
            options.Sla.Policies = SlaOptions.Defaults;
            var clock = new FakeTimeProvider(T0);
            _sqlite = new SqliteStore(path, NullLogger<SqliteStore>.Instance);
            _sqlite.Open();
            Store = DispatchProxy.Create<IStore, FailingCommits>();
            _proxy = (FailingCommits)(object)Store;
            _proxy.Inner = _sqlite;
            Engine = new KpiEngine(options.ToEngineOptions(), clock);
            Sla = new SlaEvaluator(options.ToSlaPolicies());
            Pipeline = new IngestPipeline(Store, Engine, Sla, new LiveObservations(clock), clock);
        }

        public IStore Store { get; }

        public KpiEngine Engine { get; }

        public SlaEvaluator Sla { get; }

        public IngestPipeline Pipeline { get; }

        public bool FailCommits
        {
            set => _proxy.Fail = value;
        }

        /// <summary>Calls of <see cref="IStore.RecordOutcomes"/> with outcomes to record: transactions of their own.</summary>
        public int OutcomeTransactions => _proxy.OutcomeTransactions;

        public void Dispose() => _sqlite.Dispose();
    }

    /// <summary>Passes every call through; while <see cref="Fail"/> is set, a page's transaction fails once its SLA decision is made.</summary>
    public class FailingCommits : DispatchProxy
    {
        public IStore Inner { get; set; } = null!;

        public bool Fail { get; set; }

        public int OutcomeTransactions { get; private set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IStore.RecordOutcomes) && args![0] is IReadOnlyCollection<SlaOutcome> { Count: > 0 })
            {
                OutcomeTransactions++;
            }

            if (Fail && targetMethod!.Name == nameof(IStore.Apply))
            {
                var decide = (Func<AppliedBatch, IEnumerable<SlaOutcome>>?)args![3];
                args[3] = (Func<AppliedBatch, IEnumerable<SlaOutcome>>)(applied =>
                {
                    _ = decide?.Invoke(applied).ToList();
                    throw new IOException("disk I/O error");
                });
            }

            try
            {
                return targetMethod!.Invoke(Inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }
    }
}
