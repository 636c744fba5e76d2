using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Engine;

/// <summary>
/// <see cref="KpiEngine.ApplyUntilCommitted"/>: the pipeline applies a page's conversations while its store commits
/// them. A page the store did not commit must leave the engine exactly as it was, and no snapshot may see it meanwhile.
/// </summary>
public sealed class KpiEngineCommitTests
{
    private static readonly DateTimeOffset T0 = Records.T0;

    [Fact]
    public void ACommittedPage_IsKept_AsAPlainApplyWouldHaveIt()
    {
        var plain = Loaded();
        var pending = Loaded();
        var page = Page();

        plain.Apply(page);
        pending.ApplyUntilCommitted(page, () => true);

        Assert.Equal(SnapshotLines.Of(plain.Snapshot()), SnapshotLines.Of(pending.Snapshot()));
        Assert.Contains(pending.Snapshot().Rejections, r => r.Key.Reason == RejectionReasons.ReplyBeforeCreation);
    }

    [Fact]
    public void APageNotCommitted_IsRetracted_WithTheRejectionsItCounted()
    {
        var engine = Loaded();
        var before = SnapshotLines.Of(engine.Snapshot());
        var page = Page();

        engine.ApplyUntilCommitted(page, () => false);

        Assert.Equal(before, SnapshotLines.Of(engine.Snapshot()));
        Assert.DoesNotContain(engine.Snapshot().Rejections, r => r.Key.Reason == RejectionReasons.ReplyBeforeCreation);
    }

    [Fact]
    public void APageNotCommitted_LeavesNoLabelItBrought_AndLaterPagesSeeTheEngineAsBefore()
    {
        var engine = Loaded();
        var twin = Loaded();
        var before = SnapshotLines.Of(engine.Snapshot());
        // A team nobody had, a creation earlier than any, and 49 new ticket types (with "question", the cap of 50 a
        // source): all of it must go with the page, or a later page's new type would be counted as "other".
        var novel = Enumerable.Range(0, 49).Select(i => new RecordChange<Conversation>(null,
            Open(40 + i) with { Team = "escalations", TicketType = $"type-{i}", CreatedAt = T0.AddDays(-20).AddMinutes(i) }));

        engine.ApplyUntilCommitted([.. Page(), .. novel], () => false);

        Assert.Equal(before, SnapshotLines.Of(engine.Snapshot()));
        List<RecordChange<Conversation>> next = [.. Page(), new(null, Open(90) with { TicketType = "billing" })];
        engine.Apply(next);
        twin.Apply(next);
        Assert.Equal(SnapshotLines.Of(twin.Snapshot()), SnapshotLines.Of(engine.Snapshot()));
    }

    [Fact]
    public void AFailureWhileWaitingForTheCommit_RetractsThePage_AndSurfaces()
    {
        var engine = Loaded();
        var before = SnapshotLines.Of(engine.Snapshot());

        var failure = Assert.Throws<IOException>(() => engine.ApplyUntilCommitted(Page(), () => throw new IOException("the store went away")));

        Assert.Equal("the store went away", failure.Message);
        Assert.Equal(before, SnapshotLines.Of(engine.Snapshot()));
    }

    [Fact]
    public async Task ASnapshotAskedForWhileTheCommitIsPending_SeesTheOutcome_NeverThePendingPage()
    {
        var engine = Loaded();
        var before = SnapshotLines.Of(engine.Snapshot());
        Task<List<string>>? during = null;
        using var asked = new ManualResetEventSlim();

        engine.ApplyUntilCommitted(Page(), () =>
        {
            during = Task.Run(() =>
            {
                asked.Set();
                return SnapshotLines.Of(engine.Snapshot());
            });
            asked.Wait();
            return false; // the store's commit failed
        });

        Assert.Equal(before, await during!);
    }

    private static KpiEngine Loaded()
    {
        var engine = new KpiEngine(new EngineOptions
        {
            Windows = [KpiWindow.Parse("1h"), KpiWindow.Parse("24h")],
            BucketWidth = TimeSpan.FromMinutes(1),
        }, new FakeTimeProvider(T0));
        engine.Apply(Enumerable.Range(0, 20).Select(i => new RecordChange<Conversation>(null, Open(i))));
        return engine;
    }

    private static Conversation Open(int i) =>
        Records.Conversation($"c{i}", T0.AddMinutes(-9 * i), i % 2 == 0 ? Channels.WhatsApp : Channels.Email) with { RequesterId = $"customer-{i % 7}", TicketType = "question" };

    /// <summary>Updates of stored conversations (replied, solved), new ones, and one that contradicts itself (a rejection).</summary>
    private static List<RecordChange<Conversation>> Page()
    {
        var page = Enumerable.Range(0, 10).Select(i => new RecordChange<Conversation>(Open(i), Open(i).Replied(TimeSpan.FromMinutes(3)).Solved(TimeSpan.FromMinutes(40)))).ToList();
        page.AddRange(Enumerable.Range(20, 5).Select(i => new RecordChange<Conversation>(null, Open(i))));
        var contradictory = Open(30) with { FirstResponseAt = T0.AddHours(-5), FirstResponderKind = ResponderKind.Human, FirstHumanResponseAt = T0.AddHours(-5), CreatedAt = T0.AddHours(-1) };
        page.Add(new RecordChange<Conversation>(null, contradictory));
        return page;
    }
}
