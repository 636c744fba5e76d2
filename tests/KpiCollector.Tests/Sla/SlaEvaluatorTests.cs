using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Tests.Support;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Sla;

/// <summary>
/// The SLA semantics of docs/metrics.md ("SLA"), table-driven, plus a store that records each outcome identity once
/// (the same rule the SQLite store enforces with its primary key).
/// </summary>
public sealed class SlaEvaluatorTests
{
    private static readonly SlaPolicy FirstResponse60 = new() { Name = "frt", Metric = SlaMetric.FirstResponse, Threshold = TimeSpan.FromSeconds(60), Objective = 0.9 };
    private readonly SlaEvaluator _sla = new([FirstResponse60]);
    private readonly Dictionary<(string, string, string, DateTimeOffset), SlaOutcome> _recorded = [];
    private Conversation? _current;

    [Fact]
    public void RepliedBeforeTheDeadline_ButPolledAfterIt_IsMetNeverBreached()
    {
        Poll(Conversation("c1", T0), watermark: T0.AddSeconds(10));
        // The reply came at +40 s; the next poll only happens at +5 min. The watermark of the first poll was +10 s,
        // so nothing was decided in between.
        Poll(Conversation("c1", T0).Replied(TimeSpan.FromSeconds(40)), watermark: T0.AddMinutes(5));

        var outcome = Assert.Single(_recorded.Values);
        Assert.True(outcome.Met);
        Assert.Equal(T0.AddSeconds(40), outcome.DecidedAt);
    }

    [Fact]
    public void NobodyReplies_BreachedAtTheDeadline_NotLater()
    {
        Poll(Conversation("c1", T0), watermark: T0.AddSeconds(30));
        Assert.Empty(_recorded);

        Poll(Conversation("c1", T0), watermark: T0.AddMinutes(10));

        var outcome = Assert.Single(_recorded.Values);
        Assert.False(outcome.Met);
        Assert.Equal(T0.AddSeconds(60), outcome.DecidedAt); // decided at the deadline, not at the poll
        Assert.Equal(1, Open(T0.AddMinutes(10)).Breaching);
    }

    [Fact]
    public void LateReplyAfterTheBreach_StaysBreached_CountedOnce()
    {
        Poll(Conversation("c1", T0), watermark: T0.AddMinutes(2));
        Poll(Conversation("c1", T0).Replied(TimeSpan.FromMinutes(5)), watermark: T0.AddMinutes(6));
        Poll(Conversation("c1", T0).Replied(TimeSpan.FromMinutes(5)).Solved(TimeSpan.FromMinutes(9)), watermark: T0.AddMinutes(10));

        var outcome = Assert.Single(_recorded.Values);
        Assert.False(outcome.Met);
        Assert.Equal(T0.AddSeconds(60), outcome.DecidedAt);
        Assert.Equal(0, Open(T0.AddMinutes(10)).Breaching); // answered: no longer breaching now
    }

    [Fact]
    public void RestartAfterADecision_IsNotDecidedAgain()
    {
        Poll(Conversation("c1", T0), watermark: T0.AddMinutes(2));
        var before = _recorded.Values.Single();

        // A new process: a fresh evaluator rebuilt from the stored conversation, the saved watermark replayed.
        var restarted = new SlaEvaluator([FirstResponse60]);
        restarted.Track(new RecordChange<Conversation>(null, _current!));
        var proposals = new List<SlaOutcome>();
        restarted.Advance("src", T0.AddMinutes(2), proposals);
        restarted.Advance("src", T0.AddMinutes(3), proposals);

        Assert.Equal(0, Record(proposals));
        Assert.Same(before, _recorded.Values.Single());
    }

    [Fact]
    public void DeadlineAcrossClosedBusinessHours_RunsOnlyWhileOpen()
    {
        // Monday 2 November 2026, open 09:00-18:00 UTC on weekdays; threshold 1 h; created Friday 17:30.
        var calendar = new BusinessCalendar(TimeZoneInfo.Utc, Weekdays("09:00", "18:00"), []);
        var policy = FirstResponse60 with { Name = "frt_bh", Threshold = TimeSpan.FromHours(1), Calendar = calendar };
        var sla = new SlaEvaluator([policy]);
        var friday = new DateTimeOffset(2026, 11, 6, 17, 30, 0, TimeSpan.Zero);
        var c = Conversation("c1", friday);
        sla.Track(new RecordChange<Conversation>(null, c));

        var proposals = new List<SlaOutcome>();
        sla.Advance("src", new DateTimeOffset(2026, 11, 9, 9, 29, 0, TimeSpan.Zero), proposals);
        Assert.Empty(proposals); // Monday 09:29: only 59 open minutes have passed

        sla.Advance("src", new DateTimeOffset(2026, 11, 9, 9, 30, 0, TimeSpan.Zero), proposals);
        var breach = Assert.Single(proposals);
        Assert.Equal(new DateTimeOffset(2026, 11, 9, 9, 30, 0, TimeSpan.Zero), breach.DecidedAt);

        // Replied Monday 09:10: 40 open minutes, met.
        var decided = new List<SlaOutcome>();
        sla.Decide(c with { FirstResponseAt = new DateTimeOffset(2026, 11, 9, 9, 10, 0, TimeSpan.Zero), FirstResponderKind = ResponderKind.Human }, decided);
        Assert.True(Assert.Single(decided).Met);
    }

    [Fact]
    public void BusinessCalendar_SkipsHolidaysAndHonoursTheTimeZone()
    {
        var rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");
        var calendar = new BusinessCalendar(rome, Weekdays("09:00", "18:00"), [new DateOnly(2026, 12, 25)]);
        var thursdayEvening = new DateTimeOffset(2026, 12, 24, 16, 30, 0, TimeSpan.Zero); // 17:30 in Rome
        // 30 min left on Thursday, Friday is a holiday, so the remaining 90 min run on Monday 28th from 09:00 Rome (08:00 UTC).
        Assert.Equal(new DateTimeOffset(2026, 12, 28, 9, 30, 0, TimeSpan.Zero), calendar.Add(thursdayEvening, TimeSpan.FromHours(2)));
        Assert.Equal(TimeSpan.FromHours(2), calendar.Between(thursdayEvening, new DateTimeOffset(2026, 12, 28, 9, 30, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void WatermarkLaggingBehindTheDeadline_StaysUndecidedUntilItPasses()
    {
        Poll(Conversation("c1", T0), watermark: T0.AddSeconds(59));
        Assert.Empty(_recorded);
        Assert.Equal(1, Open(T0.AddMinutes(5)).Breaching); // past the deadline now, but not decided

        Poll(Conversation("c1", T0), watermark: T0.AddSeconds(60));
        Assert.False(Assert.Single(_recorded.Values).Met);
    }

    [Fact]
    public void ClosedBeforeTheDeadlineWithoutReply_IsNotAnOutcome_ClosedAfterIt_IsABreach()
    {
        Poll(Conversation("early", T0) with { Status = ConversationStatus.Closed, ClosedAt = T0.AddSeconds(30), UpdatedAt = T0.AddSeconds(30) }, T0.AddMinutes(2));
        Assert.Empty(_recorded);

        Poll(Conversation("late", T0) with { Status = ConversationStatus.Closed, ClosedAt = T0.AddMinutes(3), UpdatedAt = T0.AddMinutes(3) }, T0.AddMinutes(4));
        Assert.False(Assert.Single(_recorded.Values).Met);
    }

    [Fact]
    public void AtRisk_WhenTheDeadlineIsWithinTwentyPercentOfTheThreshold()
    {
        Poll(Conversation("c1", T0), watermark: T0);

        Assert.Equal(0, Open(T0.AddSeconds(47)).AtRisk);
        Assert.Equal(1, Open(T0.AddSeconds(49)).AtRisk);
        Assert.Equal(0, Open(T0.AddSeconds(61)).AtRisk);
        Assert.Equal(1, Open(T0.AddSeconds(61)).Breaching);
    }

    [Fact]
    public void Filters_LimitAPolicyToItsChannels_AndHumanOnlyIgnoresTheBot()
    {
        var policy = FirstResponse60 with { Name = "wa_human", Channels = new HashSet<string> { Channels.WhatsApp }, HumanOnly = true };
        var sla = new SlaEvaluator([policy]);
        var decided = new List<SlaOutcome>();

        sla.Decide(Conversation("email", T0, Channels.Email).Replied(TimeSpan.FromSeconds(10)), decided);
        Assert.Empty(decided);

        var botOnly = Conversation("wa", T0).Replied(TimeSpan.FromSeconds(5), ResponderKind.Bot);
        sla.Decide(botOnly, decided);
        Assert.Empty(decided); // the bot's reply does not stop a human-only clock

        sla.Decide(botOnly with { FirstHumanResponseAt = T0.AddSeconds(50) }, decided);
        Assert.True(Assert.Single(decided).Met);
    }

    [Fact]
    public void NextResponse_EachCustomerWaitIsAClock()
    {
        var policy = new SlaPolicy { Name = "nrt", Metric = SlaMetric.NextResponse, Threshold = TimeSpan.FromMinutes(5), Objective = 0.9 };
        var sla = new SlaEvaluator([policy]);
        var ask = new MessageEvent { Source = "src", ExternalId = "m1", ConversationId = "c1", At = T0, Direction = MessageDirection.Inbound, Author = AuthorKind.Customer, StartsWait = true };
        sla.Track(ask);
        var proposals = new List<SlaOutcome>();
        sla.Advance("src", T0.AddMinutes(4), proposals);
        Assert.Empty(proposals);

        var reply = new MessageEvent { Source = "src", ExternalId = "m2", ConversationId = "c1", At = T0.AddMinutes(3), Direction = MessageDirection.Outbound, Author = AuthorKind.Human, RespondsToAt = T0 };
        sla.Decide(reply, proposals);
        sla.Track(reply);
        Assert.True(Assert.Single(proposals).Met);

        sla.Advance("src", T0.AddMinutes(10), proposals);
        Assert.Single(proposals); // the answered wait is not breached later
    }

    private static Dictionary<DayOfWeek, IReadOnlyList<(TimeOnly, TimeOnly)>> Weekdays(string open, string close) =>
        new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .ToDictionary(d => d, _ => (IReadOnlyList<(TimeOnly, TimeOnly)>)[(TimeOnly.Parse(open, System.Globalization.CultureInfo.InvariantCulture), TimeOnly.Parse(close, System.Globalization.CultureInfo.InvariantCulture))]);

    /// <summary>One poll as the pipeline runs it: decide what the version settles, track its clock, advance to the watermark.</summary>
    /// <summary>The running clocks the drill-down lists are the ones <see cref="SlaEvaluator.Open"/> counts, in the same states.</summary>
    [Theory]
    [InlineData(30, "Running")]
    [InlineData(48, "AtRisk")] // the default at-risk lead: 20 % of 60 s
    [InlineData(60, "Breaching")]
    [InlineData(600, "Breaching")]
    public void Running_ListsTheClocksOpenCounts_WithTheirState(int secondsAfter, string state)
    {
        Poll(Conversation("c1", T0) with { Team = "t1" }, watermark: T0);
        var now = T0.AddSeconds(secondsAfter);

        var clock = Assert.Single(_sla.Running(now));
        Assert.Equal(("frt", "src", "c1", T0, T0.AddSeconds(60), "t1"), (clock.Policy, clock.Source, clock.ConversationId, clock.Start, clock.Deadline, clock.Team));
        Assert.Equal(state, clock.State.ToString());
        Assert.Equal((state == "Breaching" ? 1 : 0, state == "AtRisk" ? 1 : 0), ((int)Open(now).Breaching, (int)Open(now).AtRisk));

        Poll(Conversation("c1", T0).Replied(TimeSpan.FromSeconds(700)), watermark: T0.AddSeconds(700));
        Assert.Empty(_sla.Running(now)); // stopped: no longer listed
    }

    private void Poll(Conversation version, DateTimeOffset watermark)
    {
        var decided = new List<SlaOutcome>();
        _sla.Decide(version, decided);
        Record(decided);
        _sla.Track(new RecordChange<Conversation>(_current?.ExternalId == version.ExternalId ? _current : null, version));
        _current = version;
        var breached = new List<SlaOutcome>();
        _sla.Advance(version.Source, watermark, breached);
        Record(breached);
    }

    private int Record(IEnumerable<SlaOutcome> outcomes)
    {
        var added = 0;
        foreach (var o in outcomes)
        {
            if (_recorded.TryAdd((o.Policy, o.Source, o.ConversationId, o.Start), o))
            {
                added++;
            }
        }

        return added;
    }

    private SlaOpenCount Open(DateTimeOffset now) =>
        _sla.Open(now).SingleOrDefault(o => o.Channel == Channels.All) ?? new SlaOpenCount("src", Channels.All, "frt", 0, 0);
}
