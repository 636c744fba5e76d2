using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Engine;

/// <summary>
/// A replica hands a source over by forgetting it and takes one over by forgetting it and applying its stored records
/// again: the engine must then be exactly as if it had only ever seen the records it holds.
/// </summary>
public sealed class KpiEngineForgetTests
{
    private static readonly DateTimeOffset T0 = Records.T0;

    [Fact]
    public void ForgettingASource_LeavesTheOthersUntouched_AndReapplyingItGivesTheSameSnapshot()
    {
        var clock = new FakeTimeProvider(T0);
        var engine = new KpiEngine(Options, clock);
        foreach (var source in new[] { "a", "b" })
        {
            Load(engine, source);
        }

        var before = SnapshotLines.Of(engine.Snapshot());
        Assert.Contains(before, line => line.StartsWith("a|", StringComparison.Ordinal));

        engine.Forget("a");
        var without = SnapshotLines.Of(engine.Snapshot());
        Assert.DoesNotContain(without, line => line.StartsWith("a|", StringComparison.Ordinal));
        Assert.Equal(before.Where(l => !l.StartsWith("a|", StringComparison.Ordinal)), without);

        Load(engine, "a");
        Assert.Equal(before, SnapshotLines.Of(engine.Snapshot()));
    }

    [Fact]
    public void ForgettingASourceTwice_OrOneNeverSeen_ChangesNothing()
    {
        var engine = new KpiEngine(Options, new FakeTimeProvider(T0));
        Load(engine, "b");
        var before = SnapshotLines.Of(engine.Snapshot());

        engine.Forget("never-seen");
        engine.Forget("a");
        engine.Forget("a");

        Assert.Equal(before, SnapshotLines.Of(engine.Snapshot()));
    }

    [Fact]
    public void ForgettingASource_DropsItsSlaClocks_OnlyItsOwn()
    {
        var sla = new SlaEvaluator([new SlaPolicy { Name = "frt", Metric = SlaMetric.FirstResponse, Threshold = TimeSpan.FromMinutes(30), Objective = 0.9 }]);
        foreach (var source in new[] { "a", "b" })
        {
            sla.Track(new RecordChange<Conversation>(null, Records.Conversation("c1", T0, source: source)));
        }

        Assert.Equal(["a", "b"], sla.Running(T0.AddHours(1)).Select(c => c.Source).Order());

        sla.Forget("a");

        Assert.Equal("b", Assert.Single(sla.Running(T0.AddHours(1))).Source);
        var breaches = new List<SlaOutcome>();
        sla.Advance("a", T0.AddHours(2), breaches);
        Assert.Empty(breaches);
    }

    private static EngineOptions Options => new()
    {
        Windows = [KpiWindow.Parse("1h"), KpiWindow.Parse("24h"), KpiWindow.Parse("7d")],
        BucketWidth = TimeSpan.FromMinutes(1),
    };

    /// <summary>Conversations, surveys, messages with delivery statuses, agents, costs, usage and outcomes of one source.</summary>
    private static void Load(KpiEngine engine, string source)
    {
        var conversations = Enumerable.Range(0, 40).Select(i =>
        {
            var c = Records.Conversation($"c{i}", T0.AddMinutes(-7 * i), i % 2 == 0 ? Channels.WhatsApp : Channels.Email, source) with
            {
                RequesterId = $"customer-{i % 9}",
                TicketType = i % 3 == 0 ? "question" : "incident",
            };
            return i % 4 == 0 ? c.Replied(TimeSpan.FromMinutes(i)).Solved(TimeSpan.FromMinutes(2 * i)) : c;
        }).ToList();
        engine.Apply(conversations.Select(c => new RecordChange<Conversation>(null, c)));
        engine.Apply(Enumerable.Range(0, 10).Select(i => new RecordChange<SurveyResponse>(null,
            Records.Csat($"s{i}", 1 + (i % 5), T0.AddMinutes(-11 * i)) with { Source = source, ConversationId = $"c{i}" })));
        engine.Apply(Enumerable.Range(0, 12).Select(i => new RecordChange<MessageEvent>(null, new MessageEvent
        {
            Source = source,
            ExternalId = $"m{i}",
            ConversationId = $"c{i}",
            At = T0.AddMinutes(-5 * i),
            Direction = MessageDirection.Outbound,
            Author = AuthorKind.Human,
            Channel = Channels.WhatsApp,
            DeliveryStatus = i % 4 == 0 ? "failed" : "read",
            ErrorCode = i % 4 == 0 ? "131047" : null,
        })));
        engine.Apply([new RecordChange<AgentActivity>(null, new AgentActivity
        {
            Source = source, ExternalId = "ag1", AgentId = "agent-1", From = T0.AddHours(-2), State = AgentState.Available,
        })]);
        engine.Apply([new RecordChange<CostEntry>(null, new CostEntry
        {
            Source = source, ExternalId = "cost1", From = T0.AddHours(-3), To = T0.AddHours(-2), Amount = 12.5m, Currency = "EUR",
        })]);
        engine.Apply([new RecordChange<MessagingUsage>(null, new MessagingUsage
        {
            Source = source, ExternalId = "u1", From = T0.AddDays(-2), To = T0.AddDays(-1), Category = "marketing", Conversations = 30,
        })]);
        engine.Apply(conversations.Take(5).Select((c, i) => new SlaOutcome
        {
            Policy = "frt", Source = source, ConversationId = c.ExternalId, Start = c.CreatedAt, Met = i % 2 == 0, DecidedAt = c.CreatedAt.AddMinutes(20), Channel = c.Channel,
        }));
    }
}
