using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using Microsoft.Extensions.Time.Testing;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Engine;

/// <summary>The worked examples of docs/metrics.md ("Worked examples") and the rest of its catalogue ("KPI gauges").</summary>
public sealed class KpiCatalogueTests
{
    private readonly FakeTimeProvider _clock = new(T0);

    [Fact]
    public void Nps_WorkedExample_70PercentPromoters10PercentDetractors_Is60()
    {
        var engine = Engine();
        var scores = Enumerable.Range(0, 100).Select(i => i < 70 ? 9 + (i % 2) : i < 80 ? i % 7 : 7 + (i % 2));
        Apply(engine, scores.Select((s, i) => Survey($"n{i}", SurveyKind.Nps, s, 0, 10)));

        Assert.Equal(60, All(engine, "24h").NpsScore);
    }

    [Theory]
    [InlineData(200, 200, 20, 0, 0.90, 0.0)]   // CRR worked example: (200 - 20) / 200
    [InlineData(250, 250, 20, 20, 0.92, 0.08)] // churn worked example: 20 / 250
    public void CustomerRetentionAndChurn_WorkedExamples(long s, long e, long n, long l, double crr, double churn)
    {
        var engine = Engine();
        engine.SetCustomers("src", [new CustomerCount { Source = "src", PeriodStart = T0.AddDays(-2), PeriodEnd = T0.AddDays(-1), Start = s, End = e, New = n, Lost = l }]);

        var customers = engine.Snapshot().Sources.Single().Customers.Single(c => c.Window.Name == "7d");
        Assert.Equal(crr, customers.RetentionRatio, 1e-12);
        Assert.Equal(churn, customers.ChurnRatio, 1e-12);
    }

    [Fact]
    public void AverageWaitTime_WorkedExample_200Conversations500Minutes_Is150Seconds()
    {
        var engine = Engine();
        // Waits of 60 s and 240 s alternate: 100 × 60 + 100 × 240 = 30,000 s = 500 min over 200 conversations.
        Apply(engine, Enumerable.Range(0, 200).Select(i => Conversation($"c{i}", T0.AddHours(-3)).Replied(TimeSpan.FromSeconds(i % 2 == 0 ? 60 : 240))).ToArray());

        Assert.Equal(150, All(engine, "24h")[Dist.Wait].MeanSeconds, 1e-9);
    }

    [Fact]
    public void Wait_StartsAtTheBotHandoff()
    {
        var engine = Engine();
        var c = Conversation("c1", T0.AddMinutes(-30)).Replied(TimeSpan.FromSeconds(5), ResponderKind.Bot) with
        {
            BotHandoffAt = T0.AddMinutes(-29),
            FirstHumanResponseAt = T0.AddMinutes(-25),
        };
        Apply(engine, c);

        Assert.Equal(240, All(engine, "1h")[Dist.Wait].MeanSeconds);
    }

    [Fact]
    public void CostPerConversation_WorkedExample_Cost10000Over25Conversations_Is400()
    {
        var engine = Engine();
        Apply(engine, Enumerable.Range(0, 25).Select(i => Conversation($"c{i}", T0.AddHours(-2))).ToArray());
        engine.Apply([new RecordChange<CostEntry>(null, new CostEntry { Source = "src", ExternalId = "fee", From = T0.AddHours(-2), To = T0, Amount = 10_000m, Currency = "eur" })]);

        var snapshot = engine.Snapshot();
        var cost = snapshot.Costs.Single(c => c.Window.Name == "24h");
        Assert.Equal(10_000m, cost.Amount);
        Assert.Equal("EUR", cost.Currency);
        Assert.Equal(400m, Kpis.CostPerConversation(cost.Amount, All(engine, "24h")[Counter.TicketsCreated]));
        // Spread evenly: the 1h window (the last 60 one-minute buckets, 08:01-09:01) holds 59 of the 120 minutes.
        Assert.Equal(4_916.67m, Math.Round(snapshot.Costs.Single(c => c.Window.Name == "1h").Amount, 2));
    }

    [Fact]
    public void Ces_MeanOnTheConfiguredScale_AndLowEffortShare()
    {
        var engine = Engine();
        Apply(engine, new[] { 1.0, 2, 3, 7 }.Select((s, i) => Survey($"c{i}", SurveyKind.Ces, s, 1, 7)).Append(Survey("five", SurveyKind.Ces, 1, 1, 5)));

        var w = All(engine, "24h");
        Assert.Equal((1 + 2 + 3 + 7 + 1) / 5.0, w.CesScore!.Value, 1e-9);
        Assert.Equal(4 / 5.0, w.CesLowEffortRatio);
    }

    [Fact]
    public void SurveyResponseRatio_CountsOffersWithoutAnswer()
    {
        var engine = Engine();
        Apply(engine, Enumerable.Range(0, 10).Select(i => Survey($"s{i}", SurveyKind.Csat, i < 3 ? 5 : null, 1, 5)));

        var w = All(engine, "24h");
        Assert.Equal(3, w.SurveyResponses(SurveyKind.Csat));
        Assert.Equal(10, w.SurveysOffered(SurveyKind.Csat));
        Assert.Contains(SurveyKind.Csat, engine.Snapshot().Sources.Single().OffersReported);
    }

    [Fact]
    public void FcrReopenAndAbandonment()
    {
        var engine = Engine();
        Apply(engine,
            Conversation("fcr", T0.AddHours(-2)).Replied(TimeSpan.FromMinutes(1)).Solved(TimeSpan.FromMinutes(5)) with { AgentPublicReplies = 1, Reopens = 0 },
            Conversation("two", T0.AddHours(-2)).Replied(TimeSpan.FromMinutes(1)).Solved(TimeSpan.FromMinutes(9)) with { AgentPublicReplies = 2, Reopens = 0 },
            Conversation("reopened", T0.AddHours(-2)).Replied(TimeSpan.FromMinutes(1)).Solved(TimeSpan.FromMinutes(50)) with { AgentPublicReplies = 1, Reopens = 1 },
            Conversation("bot", T0.AddHours(-2)).Replied(TimeSpan.FromSeconds(5), ResponderKind.Bot).Solved(TimeSpan.FromMinutes(2)),
            Conversation("gone", T0.AddHours(-2)).Replied(TimeSpan.FromSeconds(5), ResponderKind.Bot) with { Status = ConversationStatus.Closed, ClosedAt = T0.AddHours(-1), UpdatedAt = T0.AddHours(-1) });

        var w = All(engine, "24h");
        Assert.Equal(1 / 3.0, w.FirstContactResolutionRatio!.Value, 1e-12);
        Assert.Equal(1 / 3.0, w.ReopenedRatio!.Value, 1e-12);
        Assert.Equal(1 / 5.0, w.AbandonmentRatio);
    }

    [Fact]
    public void Fcr_LeavesOutConversationsWhoseReopensAreUnknown()
    {
        // A platform that cannot say whether a conversation was reopened cannot say it was resolved at first contact.
        var engine = Engine();
        Apply(engine,
            Conversation("known", T0.AddHours(-2)).Replied(TimeSpan.FromMinutes(1)).Solved(TimeSpan.FromMinutes(5)) with { AgentPublicReplies = 1, Reopens = 0 },
            Conversation("unknown", T0.AddHours(-2)).Replied(TimeSpan.FromMinutes(1)).Solved(TimeSpan.FromMinutes(9)) with { AgentPublicReplies = 1, Reopens = null });

        var w = All(engine, "24h");
        Assert.Equal(1.0, w.FirstContactResolutionRatio);
        Assert.Equal(1, w[Counter.FcrEligible]);
        Assert.Equal(2, w[Counter.TicketsResolved]);

        var none = Engine();
        Apply(none, Conversation("unknown", T0.AddHours(-2)).Replied(TimeSpan.FromMinutes(1)).Solved(TimeSpan.FromMinutes(9)) with { AgentPublicReplies = 1 });
        Assert.Null(All(none, "24h").FirstContactResolutionRatio); // absent, not 100 %
    }

    [Fact]
    public void TicketsPerCustomer_IsCreatedOverDistinctRequesters()
    {
        var engine = Engine();
        Apply(engine, Enumerable.Range(0, 9).Select(i => Conversation($"c{i}", T0.AddMinutes(-i)) with { RequesterId = $"r{i % 3}" }).ToArray());

        Assert.Equal(3, All(engine, "1h").TicketsPerCustomer);
    }

    [Fact]
    public void TicketTypes_TopNAndOther()
    {
        var engine = new KpiEngine(new EngineOptions { TicketTypesTopN = 2 }, _clock);
        var types = new[] { "incident", "incident", "incident", "question", "question", "task", "problem" };
        Apply(engine, types.Select((t, i) => Conversation($"c{i}", T0.AddMinutes(-i)) with { TicketType = t }).ToArray());

        var byType = All(engine, "1h").TicketTypes;
        Assert.Equal(new Dictionary<string, long> { ["incident"] = 3, ["question"] = 2, ["other"] = 2 }, byType);
    }

    [Fact]
    public void AgentUtilization_IsBusyOverAvailableCapacity_AndOpenIntervalsAreOnline()
    {
        var engine = Engine();
        engine.Apply([
            Agent("a1@1", "a1", T0.AddMinutes(-40), T0.AddMinutes(-10), AgentState.Available, workItems: 1.5, capacity: 3),
            Agent("a2@1", "a2", T0.AddMinutes(-40), T0.AddMinutes(-10), AgentState.Busy, workItems: 3, capacity: 3),
            Agent("a1@2", "a1", T0.AddMinutes(-10), null, AgentState.Available, null, 3),
            Agent("a3@1", "a3", T0.AddMinutes(-40), null, AgentState.Away, null, 3),
        ]);

        Assert.Equal(4.5 / 6, All(engine, "1h").AgentUtilizationRatio!.Value, 1e-9);
        Assert.Equal(1, engine.Snapshot().Sources.Single().AgentsOnline);
    }

    [Fact]
    public void RequiredAgents_FromLastHourArrivalsAndDayHandleTime()
    {
        var engine = new KpiEngine(new EngineOptions { StaffingTarget = (TimeSpan.FromSeconds(20), 0.8) }, _clock);
        // 200 arrivals in the last hour (= 100 per 30 minutes), each handled for 180 s: the classic Erlang C case.
        Apply(engine, Enumerable.Range(0, 200).Select(i => Conversation($"c{i}", T0.AddSeconds(-10 - (i * 17))) with
        {
            Status = ConversationStatus.Solved,
            ResolvedAt = T0.AddSeconds(-10 - (i * 17)) + TimeSpan.FromSeconds(5),
            HandleTime = TimeSpan.FromSeconds(180),
            UpdatedAt = T0,
        }).ToArray());

        Assert.Equal(14, engine.Snapshot().Sources.Single().RequiredAgents);
    }

    [Fact]
    public void QualityScore_IsTheWeightedShareOfCriteriaMet()
    {
        var engine = new KpiEngine(new EngineOptions { Quality = new QualityWeights { FirstResponseTarget = TimeSpan.FromMinutes(1), ResolutionTarget = TimeSpan.FromHours(1), Satisfied = 2 } }, _clock);
        // Meets first response, resolution and FCR; surveyed unsatisfied (weight 2): 3 of 5.
        Apply(engine, Conversation("c1", T0.AddHours(-2)).Replied(TimeSpan.FromSeconds(30)).Solved(TimeSpan.FromMinutes(30)) with
        {
            AgentPublicReplies = 1,
            Reopens = 0,
            Csat = new SurveyScore(2, 1, 5),
        });

        Assert.Equal(0.6, All(engine, "24h").QualityScoreRatio);
    }

    [Fact]
    public void Baseline_IsTheMeanOfTheSameHourInPreviousWeeks()
    {
        var engine = Engine();
        for (var week = 1; week <= 4; week++)
        {
            var n = week * 2; // 2, 4, 6, 8 conversations in the same hour of each past week
            Apply(engine, Enumerable.Range(0, n).Select(i => Conversation($"w{week}-{i}", T0.AddDays(-7 * week).AddMinutes(-5 - i))).ToArray());
        }

        Assert.Equal(5, engine.Snapshot().Series.Single(s => s.Key.Channel == Channels.All).CreatedBaseline1h);
    }

    [Theory]
    [InlineData("reply", RejectionReasons.ReplyBeforeCreation)]
    [InlineData("resolution", RejectionReasons.ResolutionBeforeCreation)]
    [InlineData("handle", RejectionReasons.NegativeHandleTime)]
    public void SelfContradictoryConversation_IsExcludedFromTheKpiItWouldDistort_AndCountedOnce(string what, string reason)
    {
        var engine = Engine();
        var c = Conversation("bad", T0.AddHours(-1));
        c = what switch
        {
            "reply" => c with { FirstResponseAt = T0.AddHours(-2), FirstResponderKind = ResponderKind.Human },
            "resolution" => c with { Status = ConversationStatus.Solved, ResolvedAt = T0.AddHours(-2) },
            _ => c.Solved(TimeSpan.FromMinutes(5)) with { HandleTime = TimeSpan.FromMinutes(-3) },
        };
        Apply(engine, c);
        engine.Apply([new RecordChange<Conversation>(c, c with { Priority = "high" })]); // a re-poll with another change

        var w = All(engine, "24h");
        Assert.Equal(1, w[Counter.TicketsCreated]);
        Assert.Equal(0, w[Dist.FirstResponseAll].Count);
        Assert.Equal(0, w[Dist.Handle].Count);
        Assert.Equal(what == "handle" ? 1 : 0, w[Dist.Resolution].Count);
        Assert.Equal(1, engine.Snapshot().Rejections[("src", reason)]);
    }

    [Fact]
    public void ScoreOutsideItsScale_IsRejectedAndCounted()
    {
        var engine = Engine();
        Apply(engine, [Survey("s1", SurveyKind.Nps, 11, 0, 10), Survey("s2", SurveyKind.Csat, 4, 1, 5)]);

        Assert.Equal(0, All(engine, "1h").SurveyResponses(SurveyKind.Nps));
        Assert.Equal(1, engine.Snapshot().Rejections[("src", RejectionReasons.ScoreOutOfScale)]);
    }

    [Fact]
    public void SlaOutcomes_CountInTheWindowOfTheirDecision()
    {
        var engine = Engine();
        engine.Apply([Outcome("c1", met: true, T0.AddMinutes(-3)), Outcome("c2", met: false, T0.AddMinutes(-20)), Outcome("c3", met: true, T0.AddHours(-2))]);

        var sla = engine.Snapshot().Sla.Where(s => s.Key.Channel == Channels.All).ToDictionary(s => s.Window.Name);
        Assert.Equal(1, sla["5m"].Outcomes);
        Assert.Equal(1.0, sla["5m"].ComplianceRatio);
        Assert.Equal(0.5, sla["30m"].ComplianceRatio);
        Assert.Equal(2 / 3.0, sla["6h"].ComplianceRatio!.Value, 1e-12);
        Assert.Equal(1, sla["6h"].Breached);
    }

    [Fact]
    public void TeamBreakdown_AllowListedTeamsAndOther()
    {
        var engine = new KpiEngine(new EngineOptions { Teams = new HashSet<string> { "billing" } }, _clock);
        Apply(engine, Conversation("a", T0.AddMinutes(-1)) with { Team = "billing" }, Conversation("b", T0.AddMinutes(-1)) with { Team = "tech" }, Conversation("c", T0.AddMinutes(-1)));

        var series = engine.Snapshot().Series.Where(s => s.Key.Channel == Channels.All).ToDictionary(s => s.Key.Team!);
        Assert.Equal(["all", "billing", "other"], series.Keys.Order());
        Assert.Equal(3, series["all"].Windows[0][Counter.TicketsCreated]);
        Assert.Equal(2, series["other"].Windows[0][Counter.TicketsCreated]);
    }

    private KpiEngine Engine() => new(new EngineOptions(), _clock);

    private static void Apply(KpiEngine engine, params Conversation[] conversations) =>
        engine.Apply(conversations.Select(c => new RecordChange<Conversation>(null, c)));

    private static void Apply(KpiEngine engine, IEnumerable<SurveyResponse> surveys) =>
        engine.Apply(surveys.Select(s => new RecordChange<SurveyResponse>(null, s)));

    private static WindowSnapshot All(KpiEngine engine, string window) =>
        engine.Snapshot().Series.Single(s => s.Key.Channel == Channels.All && s.Key.Team is null or "all").Windows.Single(w => w.Window.Name == window);

    private static SurveyResponse Survey(string id, SurveyKind kind, double? score, double min, double max) => new()
    {
        Source = "src",
        ExternalId = id,
        Kind = kind,
        Score = score,
        ScaleMin = min,
        ScaleMax = max,
        RespondedAt = T0.AddMinutes(-5),
        Channel = Channels.WhatsApp,
    };

    private static RecordChange<AgentActivity> Agent(string id, string agent, DateTimeOffset from, DateTimeOffset? to, AgentState state, double? workItems, double capacity) =>
        new(null, new AgentActivity { Source = "src", ExternalId = id, AgentId = agent, From = from, To = to, State = state, WorkItems = workItems, Capacity = capacity });

    private static SlaOutcome Outcome(string id, bool met, DateTimeOffset at) => new()
    {
        Policy = "frt",
        Source = "src",
        ConversationId = id,
        Start = at.AddMinutes(-1),
        Met = met,
        DecidedAt = at,
        Channel = Channels.WhatsApp,
    };
}
