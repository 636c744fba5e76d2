using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Storage;
using KpiCollector.Storage.Postgres;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Storage;

/// <summary>
/// The store contract (<see cref="IStore"/>), the same tests on every provider: SQLite in the quick loop, PostgreSQL on a
/// throwaway cluster in the full suite. A provider's own behaviour (SQLite's file, PostgreSQL's fencing and replicas)
/// has its own class.
/// </summary>
public abstract class StoreContractTests : IDisposable
{
    private readonly List<IStore> _opened = [];

    /// <summary>A store on a fresh, empty database or file.</summary>
    protected abstract IStore CreateStore();

    /// <summary>A second store on the same database or file as the last <see cref="CreateStore"/> (a restart, or another replica).</summary>
    protected abstract IStore ReopenStore();

    public virtual void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected IStore OpenStore() => Track(CreateStore());

    protected IStore Reopen() => Track(ReopenStore());

    private IStore Track(IStore store)
    {
        store.Open();
        _opened.Add(store);
        return store;
    }

    [Fact]
    public void Apply_ReturnsOldAndNewVersions_AndReapplyingAPageChangesNothing()
    {
        using var store = OpenStore();
        var first = store.Apply("src", Batch("c1", Page(0, 2)), T0);
        Assert.All(first.Conversations, c => Assert.Null(c.Old));

        var again = store.Apply("src", Batch("c1", Page(0, 2)), T0);
        Assert.Empty(again.Conversations);

        var updated = Page(0, 1)[0].Solved(TimeSpan.FromMinutes(5));
        var change = Assert.Single(store.Apply("src", Batch("c2", [updated]), T0).Conversations);
        Assert.Equal(ConversationStatus.New, change.Old!.Status);
        Assert.Equal(ConversationStatus.Solved, change.New.Status);
    }

    /// <summary>
    /// The page commit writes a row that keeps its created_at by an upsert and one whose created_at moved by a replace;
    /// both read back as the last version, through the table and through the created_at index (the export's range).
    /// </summary>
    [Fact]
    public void Apply_AVersionWithAnotherCreatedAt_IsStoredAsDeliveredAndFoundAtItsNewTime()
    {
        using var store = OpenStore();
        var page = Page(0, 3);
        store.Apply("src", Batch("c1", page), T0);

        var kept = page[0] with { Status = ConversationStatus.Open, UpdatedAt = T0.AddMinutes(1) };
        var moved = page[1] with { CreatedAt = T0.AddDays(-3), UpdatedAt = T0.AddMinutes(1) };
        var movedAgain = moved with { CreatedAt = T0.AddDays(-2), UpdatedAt = T0.AddMinutes(2) };
        var fresh = Conversation("t09999", T0.AddDays(-5));
        var freshMoved = fresh with { CreatedAt = T0.AddDays(-4), UpdatedAt = fresh.UpdatedAt.AddMinutes(1) };
        var applied = store.Apply("src", Batch("c2", [kept, moved, fresh, movedAgain, freshMoved]), T0);

        Assert.Equal(5, applied.Conversations.Count);
        var stored = store.ReadConversations().ToDictionary(c => c.ExternalId);
        Assert.Equal(4, stored.Count);
        Assert.Equal(applied.Conversations.Single(c => c.New.ExternalId == kept.ExternalId).New, stored[kept.ExternalId]);
        Assert.Equal(applied.Conversations.Last(c => c.New.ExternalId == moved.ExternalId).New, stored[moved.ExternalId]);
        Assert.Equal(T0.AddDays(-2), stored[moved.ExternalId].CreatedAt);
        Assert.Equal(T0.AddDays(-4), stored[fresh.ExternalId].CreatedAt);
        Assert.Equal(page[2].ExternalId, stored[page[2].ExternalId].ExternalId);

        var range = store.ReadForExport("src", T0.AddDays(-6), T0.AddDays(-1)).Select(r => r.Conversation.ExternalId).ToList();
        Assert.Equal([fresh.ExternalId, moved.ExternalId], range);
    }

    [Fact]
    public void Apply_IgnoresAVersionOlderThanTheStoredOne()
    {
        using var store = OpenStore();
        var created = Page(0, 1)[0];
        var solved = created.Solved(TimeSpan.FromMinutes(5));
        store.Apply("src", Batch("c1", [solved]), T0);

        var stale = store.Apply("src", Batch("c0", [created]), T0);

        Assert.Empty(stale.Conversations);
        Assert.Equal(ConversationStatus.Solved, store.ReadConversations().Single().Status);
    }

    [Fact]
    public void Apply_RoundTripsEveryField()
    {
        using var store = OpenStore();
        var full = Conversation("full", T0.AddTicks(12_345)) with
        {
            Channel = Channels.Email,
            Status = ConversationStatus.Closed,
            Priority = "high",
            TicketType = "incident",
            Team = "tech",
            RequesterId = "cust-1",
            AssigneeId = "agent-7",
            FirstResponseAt = T0.AddSeconds(9),
            FirstResponderKind = ResponderKind.Bot,
            FirstHumanResponseAt = T0.AddMinutes(3),
            FirstResolvedAt = T0.AddMinutes(20),
            ResolvedAt = T0.AddMinutes(40),
            ClosedAt = T0.AddHours(5),
            AgentPublicReplies = 2,
            Reopens = 1,
            HandleTime = TimeSpan.FromSeconds(610.5),
            WaitingOnCustomer = TimeSpan.FromMinutes(12),
            UpdatedAt = T0.AddHours(5),
        };
        var survey = Csat("s1", 4, T0.AddHours(1)) with { ConversationId = "full", AgentId = "agent-7", Team = "tech" };

        var applied = store.Apply("src", new SourceBatch { Conversations = [full], Surveys = [survey], Cursor = "c" }, T0);

        Assert.Equal(applied.Conversations.Single().New, store.ReadConversations().Single());
        Assert.Equal(applied.Surveys.Single().New, store.ReadSurveys().Single());
        Assert.Equal(T0.AddMilliseconds(1), store.ReadConversations().Single().CreatedAt); // stored to the millisecond
    }

    /// <summary>A replica that takes one source over reads that source's rows only, of every kind.</summary>
    [Fact]
    public void ReadsOfOneSource_GiveThatSourcesRowsOnly()
    {
        using var store = OpenStore();
        foreach (var source in new[] { "a", "b" })
        {
            store.Apply(source, new SourceBatch
            {
                Conversations = Page(0, source == "a" ? 3 : 5),
                Surveys = [Csat($"s-{source}", 4, T0)],
                Messages = [new MessageEvent { Source = source, ExternalId = $"m-{source}", ConversationId = "t00000", At = T0, Channel = Channels.WhatsApp, Direction = MessageDirection.Inbound, Author = AuthorKind.Customer }],
                Cursor = "c1",
            }, T0);
        }

        Assert.Equal(3, store.ReadConversations("a").Count());
        Assert.All(store.ReadConversations("b"), c => Assert.Equal("b", c.Source));
        Assert.Equal(5, store.ReadConversations("b").Count());
        Assert.Equal(8, store.ReadConversations().Count());
        Assert.Equal("s-a", Assert.Single(store.ReadSurveys("a")).ExternalId);
        Assert.Equal("m-b", Assert.Single(store.ReadMessages("b")).ExternalId);
        Assert.Empty(store.ReadConversations("c"));
    }

    [Fact]
    public void FailedBatch_RollsBackRecordsAndCursorTogether()
    {
        using var store = OpenStore();
        store.Apply("src", Batch("cursor-1", Page(0, 10)), T0);
        var broken = new BlockingList<Conversation>(Page(10, 20), blockAt: 5, null, null) { Fail = true };

        Assert.Throws<IOException>(() => store.Apply("src", Batch("cursor-2", broken), T0));

        Assert.Equal("cursor-1", store.GetCheckpoint("src")!.Cursor);
        Assert.Equal(10, store.CountRecords()["conversation"]);
        Assert.Equal(10, store.ReadConversations().Count());
    }

    [Fact]
    public void Reopen_KeepsTheRecordsTheCursorAndTheCounts()
    {
        var store = OpenStore();
        store.Apply("src", new SourceBatch { Conversations = Page(0, 3), Surveys = [Csat("s1", 5, T0)], Cursor = "cursor-1", Watermark = T0 }, T0);
        store.Dispose();

        var reopened = Reopen();
        Assert.Equal("cursor-1", reopened.GetCheckpoint("src")!.Cursor);
        Assert.Equal(T0, reopened.GetCheckpoint("src")!.Watermark);
        Assert.Equal(3, reopened.CountRecords()["conversation"]);
        Assert.Equal(1, reopened.CountRecords()["survey"]);
        Assert.Equal(3, reopened.ReadConversations().Count());
        Assert.Null(reopened.GetCheckpoint("other"));
    }

    [Fact]
    public void Outcomes_AreRecordedOncePerIdentity_InAPageAndOutsideIt()
    {
        using var store = OpenStore();
        var met = Outcome("c1", T0, met: true);
        var applied = store.Apply("src", Batch("c1", Page(0, 1)), T0, _ => [met, met with { Met = false }]);
        Assert.Equal([met], applied.NewOutcomes);

        Assert.Empty(store.RecordOutcomes([met with { Met = false }], T0));
        var breach = Outcome("c2", T0.AddMinutes(1), met: false);
        Assert.Equal([breach], store.RecordOutcomes([breach, met], T0));
        Assert.Equal(2, store.ReadOutcomes().Count());
        Assert.True(store.ReadOutcomes().Single(o => o.ConversationId == "c1").Met);
        Assert.Single(store.ReadOutcomes("src"), o => o.ConversationId == "c2");
        Assert.Empty(store.ReadOutcomes("other"));
    }

    [Fact]
    public void ManyOutcomes_InOneCall_GiveTheNewOnesOnly_TheFirstOfEachIdentity_InOrder()
    {
        using var store = OpenStore();
        // Ids out of key order, some of them not ASCII (the store matches what SQLite returns by its bytes).
        var outcomes = Enumerable.Range(0, 230).Select(i => Outcome(i % 5 == 0 ? $"tü-{229 - i}" : $"t{i}", T0.AddMinutes(-i), met: i % 2 == 0)).ToList();
        store.RecordOutcomes(outcomes.Where((_, i) => i % 7 == 0).ToList(), T0);

        // Every identity once more, later in the same call, with the other verdict: the first one stays.
        var given = outcomes.Concat(outcomes.Take(120).Select(o => o with { Met = !o.Met })).ToList();
        var inserted = store.RecordOutcomes(given, T0);

        Assert.Equal(outcomes.Where((_, i) => i % 7 != 0).Select(o => o.ConversationId), inserted.Select(o => o.ConversationId));
        var stored = store.ReadOutcomes().ToDictionary(o => o.ConversationId);
        Assert.Equal(230, stored.Count);
        Assert.All(outcomes, o => Assert.Equal(o.Met, stored[o.ConversationId].Met));
    }

    [Fact]
    public void ACsatAnswer_IsJoinedOntoItsConversation_WhicheverArrivesFirst()
    {
        using var store = OpenStore();
        var conversation = Conversation("t1", T0.AddHours(-2));
        store.Apply("src", Batch("c1", [conversation]), T0);

        var answered = store.Apply("src", new SourceBatch { Surveys = [Csat("s1", 4, T0) with { ConversationId = "t1" }], Cursor = "c2" }, T0);
        var joined = Assert.Single(answered.Conversations);
        Assert.Null(joined.Old!.Csat);
        Assert.Equal(4, joined.New.Csat!.Value.Score);

        // The other way round: the answer first, its conversation later picks it up.
        store.Apply("src", new SourceBatch { Surveys = [Csat("s2", 2, T0) with { ConversationId = "t2" }], Cursor = "c3" }, T0);
        var later = store.Apply("src", Batch("c4", [Conversation("t2", T0.AddHours(-1))]), T0);
        Assert.Equal(2, Assert.Single(later.Conversations).New.Csat!.Value.Score);
        Assert.Equal(2, store.ReadConversations().Single(c => c.ExternalId == "t2").Csat!.Value.Score);
    }

    [Fact]
    public void ACsatAnswer_InAPageWithTwoVersionsOfItsConversation_IsJoinedOntoTheLastOne()
    {
        using var store = OpenStore();
        var created = Conversation("t1", T0.AddHours(-2));
        var solved = created with { Status = ConversationStatus.Solved, ResolvedAt = T0.AddHours(-1), UpdatedAt = T0.AddHours(-1) };
        var applied = store.Apply("src", new SourceBatch { Conversations = [created, solved], Surveys = [Csat("s1", 5, T0) with { ConversationId = "t1" }], Cursor = "c1" }, T0);

        // The engine's last change and the stored row are both the solved version, with the answer.
        var last = applied.Conversations.Last(c => c.New.ExternalId == "t1").New;
        Assert.Equal(ConversationStatus.Solved, last.Status);
        Assert.Equal(5, last.Csat!.Value.Score);
        var stored = Assert.Single(store.ReadConversations());
        Assert.Equal(ConversationStatus.Solved, stored.Status);
        Assert.Equal(5, stored.Csat!.Value.Score);
    }

    [Fact]
    public void OtherRecords_AreUpsertedByKind_AndAnIdenticalOneChangesNothing()
    {
        using var store = OpenStore();
        var message = Message("m1", T0);
        var first = store.Apply("src", new SourceBatch { Messages = [message, Message("m2", T0)], Cursor = "c1" }, T0);
        Assert.Equal(2, first.Messages.Count);

        Assert.Empty(store.Apply("src", new SourceBatch { Messages = [message], Cursor = "c2" }, T0).Messages);
        var changed = Assert.Single(store.Apply("src", new SourceBatch { Messages = [message with { DeliveryStatus = "read" }], Cursor = "c3" }, T0).Messages);
        Assert.Null(changed.Old!.DeliveryStatus);
        Assert.Equal("read", store.ReadMessages().Single(m => m.ExternalId == "m1").DeliveryStatus);
        Assert.Equal(2, store.CountRecords()["other"]);
    }

    [Fact]
    public async Task TheInbox_KeepsOrder_ReadsAfterAPosition_PrunesWhatWasProcessed_AndCounts()
    {
        using var store = OpenStore();
        var positions = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            positions.Add(await store.AppendToInboxAsync("wa", T0.AddSeconds(i), $"[{i}]"));
        }

        await store.AppendToInboxAsync("other", T0, "[]");
        Assert.Equal(positions.Order(), positions);
        Assert.Equal(["[2]", "[3]"], store.ReadInbox("wa", positions[1], 2).Select(d => d.Events));
        Assert.Equal(T0.AddSeconds(2), store.ReadInbox("wa", positions[1], 1).Single().ReceivedAt);
        Assert.Equal(5, store.CountInbox("wa"));

        Assert.Equal(2, store.PruneInbox("wa", T0.AddSeconds(10), positions[1]));
        Assert.Equal(3, store.CountInbox("wa"));
        Assert.Equal(1, store.CountInbox("other"));
    }

    [Fact]
    public void RestState_IsKeptPerSourceAndKey_AndReplaced()
    {
        using var store = OpenStore();
        Assert.Null(store.Get("src", "refresh_token"));
        store.Set("src", "refresh_token", "one");
        store.Set("src", "refresh_token", "two");
        store.Set("other", "refresh_token", "three");

        Assert.Equal("two", store.Get("src", "refresh_token"));
        Assert.Equal("two", Reopen().Get("src", "refresh_token"));
    }

    [Fact]
    public void TheOpenSet_TheUnansweredAndTheKeyedReads_GiveWhatTheDrillDownNeeds()
    {
        using var store = OpenStore();
        var old = Conversation("old", T0.AddHours(-5));
        var answered = Conversation("answered", T0.AddHours(-4)).Replied(TimeSpan.FromMinutes(3));
        var solved = Conversation("solved", T0.AddHours(-3)).Solved(TimeSpan.FromMinutes(30));
        var fresh = Conversation("fresh", T0.AddHours(-1), Channels.Email);
        store.Apply("src", Batch("c1", [old, answered, solved, fresh]), T0, _ => [Outcome("old", old.CreatedAt, met: false)]);
        store.Apply("b", Batch("c1", [Conversation("b-old", T0.AddHours(-2), source: "b")]), T0);

        Assert.Equal(["answered", "fresh", "old"], store.OpenConversations("src").Keys.Order());
        Assert.Equal(["old", "b-old", "fresh"], store.ReadUnanswered(new ConversationFilter(), 10).Select(r => r.Conversation.ExternalId));
        Assert.Equal(["fresh"], store.ReadUnanswered(new ConversationFilter(Channel: Channels.Email), 10).Select(r => r.Conversation.ExternalId));
        Assert.Equal(["old", "b-old"], store.ReadUnanswered(new ConversationFilter(), 10, oldestPerSource: true).Select(r => r.Conversation.ExternalId));
        var withOutcome = store.ReadUnanswered(new ConversationFilter("src"), 1).Single();
        Assert.False(Assert.Single(withOutcome.Outcomes).Met);

        var keyed = store.ReadConversations([("src", "solved"), ("b", "b-old"), ("src", "missing")]);
        Assert.Equal(2, keyed.Count);
        Assert.Equal(ConversationStatus.Solved, keyed[("src", "solved")].Conversation.Status);
        Assert.Equal(["old", "answered", "solved", "fresh"], store.ReadForExport("src", null, null).Select(r => r.Conversation.ExternalId));
    }


    protected static SourceBatch Batch(string cursor, IReadOnlyList<Conversation> conversations) =>
        new() { Conversations = conversations, Cursor = cursor, Watermark = T0 };

    protected static List<Conversation> Page(int from, int to) =>
        Enumerable.Range(from, to - from).Select(i => Conversation($"t{i:D5}", T0.AddMinutes(-i % 600))).ToList();

    protected static SlaOutcome Outcome(string conversation, DateTimeOffset start, bool met) => new()
    {
        Policy = "frt", Source = "src", ConversationId = conversation, Start = start, Met = met, DecidedAt = start.AddMinutes(30), Channel = Channels.WhatsApp,
    };

    protected static MessageEvent Message(string id, DateTimeOffset at) => new()
    {
        Source = "src", ExternalId = id, ConversationId = "t00000", At = at, Direction = MessageDirection.Outbound, Author = AuthorKind.Human, Channel = Channels.WhatsApp,
    };
}

/// <summary>The contract on SQLite (a file in a temp folder).</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempDirectory _dir = new();
    private int _files;

    protected override IStore CreateStore() => new SqliteStore(_dir.File($"store-{++_files}.db"), NullLogger<SqliteStore>.Instance);

    protected override IStore ReopenStore() => new SqliteStore(_dir.File($"store-{_files}.db"), NullLogger<SqliteStore>.Instance);

    public override void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}

/// <summary>The contract on PostgreSQL (a database of its own on the run's throwaway cluster).</summary>
[Trait("Category", "Integration")] // starts PostgreSQL: the full suite, not the quick loop
public sealed class PostgresStoreContractTests : StoreContractTests
{
    private string _database = "";

    protected override IStore CreateStore()
    {
        _database = PostgresServer.Shared.CreateDatabase("contract");
        return new PostgresStore(_database, NullLogger<PostgresStore>.Instance);
    }

    protected override IStore ReopenStore() => new PostgresStore(_database, NullLogger<PostgresStore>.Instance);
}

/// <summary>A page that stops in its middle (signalling the test), then either goes on or fails as the test says.</summary>
internal sealed class BlockingList<T>(List<T> items, int blockAt, SemaphoreSlim? reached, SemaphoreSlim? resume) : IReadOnlyList<T>
{
    public bool Fail { get; set; }

    public int Yielded { get; private set; }

    public int Count => items.Count;

    public T this[int index] => items[index];

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (i == blockAt)
            {
                reached?.Release();
                resume?.Wait();
                if (Fail)
                {
                    throw new IOException("the process died here");
                }
            }

            Yielded = i + 1;
            yield return items[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
