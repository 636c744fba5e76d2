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
        var clocksBefore = failing.Sla.Running(T0).Count;
        Assert.True(clocksBefore > 0);

        // The next page replies to the first 40 and brings 40 new conversations; its commit fails.
        var next = Batch("c2", [.. Page(0, 40, replied: true), .. Page(60, 100, replied: false)]);
        failing.FailCommits = true;
        var failure = Assert.Throws<IOException>(() => failing.Pipeline.Ingest("src", next));

        Assert.Equal("disk I/O error", failure.Message);
        Assert.Equal(engineBefore, SnapshotLines.Of(failing.Engine.Snapshot()));
        Assert.Equal(clocksBefore, failing.Sla.Running(T0).Count);
        Assert.Equal(60, failing.Store.ReadConversations().Count());
        Assert.Equal("c1", failing.Store.GetCheckpoint("src")!.Cursor);

        // The poll retries the page: the engine ends where a pipeline whose commit never failed is.
        failing.FailCommits = false;
        failing.Pipeline.Ingest("src", next);
        clean.Pipeline.Ingest("src", next);
        Assert.Equal(SnapshotLines.Of(clean.Engine.Snapshot()), SnapshotLines.Of(failing.Engine.Snapshot()));
        Assert.NotEqual(engineBefore, SnapshotLines.Of(failing.Engine.Snapshot()));
        Assert.Equal(clean.Sla.Running(T0).Count, failing.Sla.Running(T0).Count);
    }

    public void Dispose() => _dir.Dispose();

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

        public void Dispose() => _sqlite.Dispose();
    }

    /// <summary>Passes every call through; while <see cref="Fail"/> is set, a page's transaction fails once its SLA decision is made.</summary>
    public class FailingCommits : DispatchProxy
    {
        public IStore Inner { get; set; } = null!;

        public bool Fail { get; set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
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
