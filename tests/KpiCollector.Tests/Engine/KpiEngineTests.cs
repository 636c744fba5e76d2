using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Engine;

public sealed class KpiEngineTests
{
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly KpiEngine _engine;

    public KpiEngineTests() => _engine = new KpiEngine(new EngineOptions(), _clock);

    [Fact]
    public void Csat_WorkedExample_50Responses30Positive_Is060()
    {
        var responses = Enumerable.Range(0, 50).Select(i => Csat($"s{i}", i < 30 ? 5 : 2, T0.AddMinutes(-i)));
        Apply(responses);

        Assert.Equal(0.60, All("24h").CsatRatio);
    }

    [Fact]
    public void Csat_WorkedExample_1500Surveyed1000Satisfied_Is06667()
    {
        // Satisfied on the default threshold: the top two points of 1-5 (4 and 5).
        var responses = Enumerable.Range(0, 1500).Select(i => Csat($"s{i}", i < 1000 ? 4 + (i % 2) : 1 + (i % 3), T0.AddSeconds(-i * 10)));
        Apply(responses);

        Assert.Equal(0.6667, Math.Round(All("24h").CsatRatio!.Value, 4));
    }

    [Theory]
    [InlineData(1.0, 1.0, 0.0, 1.0)]   // Zendesk good/bad as 1/0: good is satisfied
    [InlineData(0.0, 0.0, 0.0, 1.0)]
    [InlineData(1.0, 5.0, 1.0, 5.0)]   // 4-5 on 1-5
    [InlineData(1.0, 4.0, 1.0, 5.0)]
    [InlineData(0.0, 3.0, 1.0, 5.0)]
    [InlineData(1.0, 102.0, -103.0, 103.0)] // Freshdesk: 102 and 103 are satisfied
    [InlineData(0.0, 101.0, -103.0, 103.0)]
    public void Csat_DefaultThreshold_IsTopTwoPointsOfTheScale(double expectedRatio, double score, double min, double max)
    {
        Apply([Csat("s1", score, T0.AddMinutes(-1), min: min, max: max)]);

        Assert.Equal(expectedRatio, All("1h").CsatRatio);
    }

    [Fact]
    public void Csat_ScoreOutsideItsScale_IsExcluded()
    {
        Apply([Csat("s1", 9, T0.AddMinutes(-1)), Csat("s2", 5, T0.AddMinutes(-1))]);

        Assert.Equal(1, All("1h")[Counter.CsatResponses]);
    }

    [Fact]
    public void Csat_NoResponses_IsUndefinedNotZero()
    {
        Apply([Conversation("c1", T0.AddMinutes(-5))]);

        Assert.Null(All("1h").CsatRatio);
    }

    [Fact]
    public void Art_WorkedExample_IsResolutionTimesSummedOverResolutions()
    {
        var minutes = new[] { 10, 20, 60, 7 };
        Apply(minutes.Select((m, i) => Conversation($"c{i}", T0.AddHours(-3)).Solved(TimeSpan.FromMinutes(m))).ToArray());

        var resolution = All("24h")[Dist.Resolution];
        Assert.Equal(4, resolution.Count);
        Assert.Equal(minutes.Sum() * 60.0 / minutes.Length, resolution.MeanSeconds, 1e-9);
        Assert.Equal(4, All("24h")[Counter.TicketsResolved]);
    }

    [Fact]
    public void Update_RetractsTheOldVersionAndAddsTheNew()
    {
        var created = Conversation("c1", T0.AddMinutes(-30));
        var replied = created.Replied(TimeSpan.FromMinutes(2));
        var solved = replied.Solved(TimeSpan.FromMinutes(20));

        Apply(created);
        Assert.Equal(1, Backlog(ConversationStatus.New));
        Assert.Equal(1, Series().Unanswered);

        Update(replied, created);
        Update(solved, replied);

        var w = All("1h");
        Assert.Equal(1, w[Counter.TicketsCreated]);
        Assert.Equal(1, w[Dist.FirstResponseAll].Count);
        Assert.Equal(120, w[Dist.FirstResponseAll].MeanSeconds);
        Assert.Equal(1, w[Counter.TicketsResolved]);
        Assert.Equal(0, Backlog(ConversationStatus.New) + Backlog(ConversationStatus.Open));
        Assert.Equal(0, Series().Unanswered);

        var reopened = solved with { Status = ConversationStatus.Open, Reopens = 1, UpdatedAt = T0 };
        Update(reopened, solved);

        Assert.Equal(0, All("1h")[Counter.TicketsResolved]);
        Assert.Equal(1, Backlog(ConversationStatus.Open));
    }

    [Fact]
    public void FirstResponse_SplitsByResponder()
    {
        var botThenHuman = Conversation("c1", T0.AddMinutes(-30)).Replied(TimeSpan.FromSeconds(8), ResponderKind.Bot) with
        {
            FirstHumanResponseAt = T0.AddMinutes(-25),
        };
        Apply(botThenHuman, Conversation("c2", T0.AddMinutes(-20)).Replied(TimeSpan.FromSeconds(50)));

        var w = All("1h");
        Assert.Equal(2, w[Dist.FirstResponseAll].Count);
        Assert.Equal(29, w[Dist.FirstResponseAll].MeanSeconds);
        Assert.Equal(8, w[Dist.FirstResponseBot].MeanSeconds);
        Assert.Equal(2, w[Dist.FirstResponseHuman].Count);
        Assert.Equal((300 + 50) / 2.0, w[Dist.FirstResponseHuman].MeanSeconds);
    }

    [Fact]
    public void ReplyBeforeCreation_IsExcludedFromFirstResponse()
    {
        Apply(Conversation("c1", T0.AddMinutes(-5)) with { FirstResponseAt = T0.AddMinutes(-10), FirstResponderKind = ResponderKind.Human });

        Assert.Equal(0, All("1h")[Dist.FirstResponseAll].Count);
        Assert.Equal(1, All("1h")[Counter.TicketsCreated]);
    }

    [Fact]
    public void Windows_SlideWithTheClock()
    {
        Apply(Conversation("c1", T0.AddMinutes(-10)));
        Assert.Equal(1, All("1h")[Counter.TicketsCreated]);

        _clock.Advance(TimeSpan.FromMinutes(51));
        Assert.Equal(0, All("1h")[Counter.TicketsCreated]);
        Assert.Equal(1, All("24h")[Counter.TicketsCreated]);

        _clock.Advance(TimeSpan.FromDays(30));
        Assert.All(Series().Windows, w => Assert.Equal(0, w[Counter.TicketsCreated]));
    }

    [Fact]
    public void LateRecord_LandsInTheWindowOfItsEventTime()
    {
        Apply(Conversation("late", T0.AddHours(-5))); // polled now, created five hours ago

        Assert.Equal(0, All("1h")[Counter.TicketsCreated]);
        Assert.Equal(1, All("24h")[Counter.TicketsCreated]);
    }

    [Fact]
    public void FutureEvent_CountsOnceTheClockReachesIt()
    {
        Apply(Conversation("skewed", T0.AddMinutes(3)));
        Assert.Equal(0, All("1h")[Counter.TicketsCreated]);

        _clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(1, All("1h")[Counter.TicketsCreated]);
    }

    [Fact]
    public void EveryChannelAlsoCountsInChannelAll()
    {
        Apply(Conversation("a", T0.AddMinutes(-1), Channels.Email), Conversation("b", T0.AddMinutes(-1), Channels.WhatsApp), Conversation("c", T0.AddMinutes(-1), "fax"));

        var snapshot = _engine.Snapshot();
        Assert.Equal(3, All("1h")[Counter.TicketsCreated]);
        Assert.Equal(1, Window(snapshot, Channels.Other, "1h")[Counter.TicketsCreated]);
        Assert.Equal(["all", "email", "other", "whatsapp"], snapshot.Series.Select(s => s.Key.Channel));
    }

    [Fact]
    public void Percentiles_AreWithinOnePercentOfExact()
    {
        var random = new Random(7);
        var milliseconds = Enumerable.Range(0, 2000).Select(_ => (long)Math.Exp(random.NextDouble() * 16)).ToList(); // 1 ms to 2.5 h
        Apply(milliseconds.Select((ms, i) => Conversation($"c{i}", T0.AddHours(-3)).Replied(TimeSpan.FromMilliseconds(ms))).ToArray());

        var d = All("24h")[Dist.FirstResponseAll];
        var exact = milliseconds.Select(ms => ms / 1000.0).ToList();
        AssertClose(ReferenceKpis.Quantile(exact, 0.50), d.P50Seconds);
        AssertClose(ReferenceKpis.Quantile(exact, 0.90), d.P90Seconds);
        AssertClose(ReferenceKpis.Quantile(exact, 0.95), d.P95Seconds);
        Assert.Equal(exact.Average(), d.MeanSeconds, 1e-9);
    }

    internal static void AssertClose(double expected, double actual, double relative = 0.01) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected) + 1e-9, $"expected {expected} within {relative:P0}, got {actual}");

    private void Apply(params Conversation[] conversations) =>
        _engine.Apply(conversations.Select(c => new RecordChange<Conversation>(null, c)));

    private void Update(Conversation current, Conversation old) =>
        _engine.Apply([new RecordChange<Conversation>(old, current)]);

    private void Apply(IEnumerable<SurveyResponse> responses) =>
        _engine.Apply(responses.Select(s => new RecordChange<SurveyResponse>(null, s)));

    private SeriesSnapshot Series(string channel = Channels.All) =>
        _engine.Snapshot().Series.Single(s => s.Key.Channel == channel);

    private WindowSnapshot All(string window) => Window(_engine.Snapshot(), Channels.All, window);

    private long Backlog(ConversationStatus status) => Series().BacklogByStatus[(int)status];

    private static WindowSnapshot Window(KpiSnapshot snapshot, string channel, string window) =>
        snapshot.Series.Single(s => s.Key.Channel == channel).Windows.Single(w => w.Window.Name == window);
}
