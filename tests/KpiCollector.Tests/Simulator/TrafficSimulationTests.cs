using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using Xunit;

namespace KpiCollector.Tests.Simulator;

public sealed class TrafficSimulationTests
{
    // A Monday, so that day 1 (Tuesday) 09:00–13:00 is a weekday peak.
    private static readonly DateTimeOffset Epoch = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset SurgeStart = Epoch.AddDays(1).AddHours(9);
    private static readonly TimeSpan SurgeLength = TimeSpan.FromHours(4);

    /// <summary>Seven days at the defaults, in one call: shared by the statistical tests.</summary>
    private static readonly Lazy<SimulationDelta> Week = new(() =>
        new TrafficSimulation(new SimulatorOptions(), "sim", Epoch).AdvanceTo(Epoch.AddDays(7)));

    [Fact]
    public void AdvanceTo_InChunks_GivesTheSameLatestVersionsAndSurveysAsOneCall()
    {
        var until = Epoch.AddDays(2);
        var whole = new TrafficSimulation(new SimulatorOptions(), "sim", Epoch).AdvanceTo(until);
        Assert.NotEmpty(whole.Conversations);
        Assert.NotEmpty(whole.Surveys);

        // Irregular boundaries, some of them exactly at the creation time of a conversation.
        var boundaries = new SortedSet<DateTimeOffset> { until };
        var random = new Random(7);
        for (var t = Epoch; t < until; t = t.AddSeconds(random.Next(1, 3 * 3600)))
        {
            boundaries.Add(t);
        }

        var exact = whole.Conversations.Where((_, i) => i % 97 == 0).ToList();
        foreach (var c in exact)
        {
            boundaries.Add(c.CreatedAt);
        }

        var chunked = new TrafficSimulation(new SimulatorOptions(), "sim", Epoch);
        var latest = new Dictionary<string, Conversation>();
        var surveys = new List<SurveyResponse>();
        var previous = Epoch;
        foreach (var boundary in boundaries)
        {
            var delta = chunked.AdvanceTo(boundary);
            Assert.Equal(boundary, chunked.Now);
            foreach (var c in delta.Conversations)
            {
                Assert.InRange(c.UpdatedAt, previous.AddTicks(1), boundary);
                latest[c.ExternalId] = c;
            }

            Assert.All(delta.Surveys, s => Assert.InRange(s.RespondedAt, previous.AddTicks(1), boundary));
            Assert.Equal(delta.Conversations.Count, delta.Conversations.Select(c => c.ExternalId).Distinct().Count());
            surveys.AddRange(delta.Surveys);

            // An event exactly at the boundary belongs to this call: the arrival version, status New.
            foreach (var arrived in exact.Where(c => c.CreatedAt == boundary))
            {
                var version = Assert.Single(delta.Conversations, c => c.ExternalId == arrived.ExternalId);
                Assert.Equal(ConversationStatus.New, version.Status);
                Assert.Equal(arrived.CreatedAt, version.UpdatedAt);
            }

            previous = boundary;
        }

        Assert.Equal(whole.Conversations.Count, latest.Count);
        foreach (var c in whole.Conversations)
        {
            Assert.Equal(c, latest[c.ExternalId]);
        }

        Assert.Equal(whole.Surveys, surveys);
    }

    [Fact]
    public void AdvanceTo_NotAfterNow_IsANoOp()
    {
        var simulation = new TrafficSimulation(new SimulatorOptions(), "sim", Epoch);
        Assert.Equal(Epoch, simulation.Now);
        Assert.Equal(Epoch, simulation.Epoch);

        var empty = simulation.AdvanceTo(Epoch);
        Assert.Empty(empty.Conversations);
        Assert.Empty(empty.Surveys);

        var until = Epoch.AddHours(6);
        Assert.NotEmpty(simulation.AdvanceTo(until).Conversations);
        var backwards = simulation.AdvanceTo(Epoch.AddHours(1));
        Assert.Empty(backwards.Conversations);
        Assert.Empty(backwards.Surveys);
        Assert.Equal(until, simulation.Now);
    }

    [Fact]
    public void SameSeed_SameOutput_DifferentSeed_DifferentOutput()
    {
        var until = Epoch.AddDays(1);
        var a = new TrafficSimulation(new SimulatorOptions { Seed = 5 }, "sim", Epoch).AdvanceTo(until);
        var b = new TrafficSimulation(new SimulatorOptions { Seed = 5 }, "sim", Epoch).AdvanceTo(until);
        var c = new TrafficSimulation(new SimulatorOptions { Seed = 6 }, "sim", Epoch).AdvanceTo(until);

        Assert.Equal(a.Conversations, b.Conversations);
        Assert.Equal(a.Surveys, b.Surveys);
        Assert.NotEqual(a.Conversations, c.Conversations);
        Assert.NotEqual(a.Conversations.Select(x => x.CreatedAt), c.Conversations.Select(x => x.CreatedAt));
    }

    [Theory]
    [InlineData(120)]
    [InlineData(40)]
    public void Volume_OverAnyWeek_MatchesTheMeanRate(double perHour)
    {
        // Starting mid-week at an odd time: any seven days carry the weekly mean.
        var epoch = new DateTimeOffset(2026, 3, 11, 13, 37, 0, TimeSpan.Zero);
        var delta = new TrafficSimulation(new SimulatorOptions { ArrivalsPerHour = perHour }, "sim", epoch).AdvanceTo(epoch.AddDays(7));

        var created = delta.Conversations.Count(c => c.CreatedAt > epoch && c.CreatedAt <= epoch.AddDays(7));
        Assert.Equal(delta.Conversations.Count, created);
        Assert.InRange(created, perHour * 168 * 0.85, perHour * 168 * 1.15);
    }

    [Fact]
    public void Arrivals_FollowTheDailyAndWeeklyProfile()
    {
        var conversations = Week.Value.Conversations;
        int Count(int day, int fromHour, int toHour) => conversations.Count(c =>
            c.CreatedAt >= Epoch.AddDays(day).AddHours(fromHour) && c.CreatedAt < Epoch.AddDays(day).AddHours(toHour));

        var weekdayNight = Count(1, 1, 5);
        var weekdayPeak = Count(1, 10, 14);
        var saturdayPeak = Count(5, 10, 14);
        Assert.True(weekdayPeak > 5 * weekdayNight, $"peak {weekdayPeak} vs night {weekdayNight}");
        Assert.InRange((double)saturdayPeak / weekdayPeak, 0.35, 0.65);
    }

    [Fact]
    public void ChannelMix_IsWhatsAppDominant()
    {
        var byChannel = Week.Value.Conversations.GroupBy(c => c.Channel).ToDictionary(g => g.Key, g => g.Count());
        var total = (double)byChannel.Values.Sum();

        Assert.Equal(Channels.WhatsApp, byChannel.MaxBy(kv => kv.Value).Key);
        Assert.InRange(byChannel[Channels.WhatsApp] / total, 0.45, 0.55);
        Assert.InRange(byChannel[Channels.Email] / total, 0.12, 0.18);
        Assert.All(byChannel.Keys, channel => Assert.Contains(channel, Channels.Known));
        Assert.Equal(7, byChannel.Count);
    }

    [Fact]
    public void Identities_AreStableAndCustomersRepeat()
    {
        var conversations = Week.Value.Conversations;
        Assert.All(conversations, c => Assert.Matches("^sim-[0-9]{6}$", c.ExternalId));
        Assert.Equal(conversations.Count, conversations.Select(c => c.ExternalId).Distinct().Count());
        Assert.All(conversations, c => Assert.NotNull(c.RequesterId));

        var requesters = conversations.GroupBy(c => c.RequesterId).ToList();
        Assert.InRange(requesters.Count, 1000, 5000);
        Assert.Contains(requesters, g => g.Count() >= 5);
    }

    [Fact]
    public void Bots_AnswerFirstOnMessagingAndDeflectTheirShare()
    {
        var conversations = Week.Value.Conversations;
        var botChannels = conversations.Where(c => c.Channel is Channels.WhatsApp or Channels.Chat or Channels.Web).ToList();
        Assert.All(botChannels, c =>
        {
            Assert.Equal(ResponderKind.Bot, c.FirstResponderKind);
            Assert.InRange(c.FirstResponseAt!.Value - c.CreatedAt, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
        });
        Assert.DoesNotContain(conversations, c => c.Channel is Channels.Email or Channels.Phone && c.FirstResponderKind == ResponderKind.Bot);

        var deflected = botChannels.Where(c => c.ResolvedAt is not null && c.FirstHumanResponseAt is null).ToList();
        Assert.InRange((double)deflected.Count / botChannels.Count, 0.20, 0.30);
        Assert.All(deflected, c =>
        {
            Assert.Equal(0, c.AgentPublicReplies);
            Assert.Null(c.AssigneeId);
            Assert.InRange(c.ResolvedAt!.Value - c.FirstResponseAt!.Value, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        });
    }

    [Fact]
    public void Handling_ResolvesPendsReopensAndCloses()
    {
        var conversations = Week.Value.Conversations;
        var handled = conversations.Where(c => c.FirstHumanResponseAt is not null).ToList();
        Assert.All(handled, c =>
        {
            Assert.Matches("^agent-[0-9]{2}$", c.AssigneeId!);
            Assert.InRange(c.AgentPublicReplies!.Value, 1, 10);
        });

        var resolved = handled.Where(c => c.ResolvedAt is not null).ToList();
        var messagingHandle = Median(resolved.Where(c => c.Channel == Channels.WhatsApp && c.Reopens == 0 && c.WaitingOnCustomer == TimeSpan.Zero)
            .Select(c => c.HandleTime!.Value.TotalMinutes));
        var emailHandle = Median(resolved.Where(c => c.Channel == Channels.Email && c.Reopens == 0 && c.WaitingOnCustomer == TimeSpan.Zero)
            .Select(c => c.HandleTime!.Value.TotalMinutes));
        Assert.InRange(messagingHandle, 5, 7);
        Assert.InRange(emailHandle, 10.5, 13.5);

        Assert.InRange((double)resolved.Count(c => c.WaitingOnCustomer > TimeSpan.Zero) / resolved.Count, 0.07, 0.13);
        Assert.InRange((double)resolved.Count(c => c.Reopens > 0) / resolved.Count, 0.03, 0.07);
        Assert.Contains(resolved, c => c.Reopens > 0 && c.ResolvedAt > c.FirstResolvedAt);

        // Everything but the last few hours' work is closed by the end of the week.
        var old = conversations.Where(c => c.CreatedAt < Epoch.AddDays(6)).ToList();
        Assert.True(old.Count(c => c.Status == ConversationStatus.Closed) > 0.99 * old.Count);
    }

    [Fact]
    public void Abandonment_ClosesWithoutAHumanReply()
    {
        var abandoned = Week.Value.Conversations
            .Where(c => c.Status == ConversationStatus.Closed && c.ResolvedAt is null).ToList();
        Assert.NotEmpty(abandoned);
        Assert.All(abandoned, c =>
        {
            Assert.Null(c.FirstHumanResponseAt);
            Assert.Equal(0, c.AgentPublicReplies);
            Assert.NotEqual(Channels.Email, c.Channel);
        });
    }

    [Fact]
    public void Surge_MakesCustomersWaitMuchLonger()
    {
        var calm = new TrafficSimulation(new SimulatorOptions(), "sim", Epoch).AdvanceTo(Epoch.AddDays(3));
        var surge = new TrafficSimulation(
            new SimulatorOptions { Surges = [new SimulatedSurge(SurgeStart, SurgeLength, 3)] }, "sim", Epoch).AdvanceTo(Epoch.AddDays(3));

        var calmWindow = CreatedInSurgeWindow(calm.Conversations);
        var surgeWindow = CreatedInSurgeWindow(surge.Conversations);
        Assert.InRange((double)surgeWindow.Count / calmWindow.Count, 2.5, 3.5);

        var calmFirstResponse = Mean(calmWindow, c => c.FirstResponseAt - c.CreatedAt);
        var surgeFirstResponse = Mean(surgeWindow, c => c.FirstResponseAt - c.CreatedAt);
        var calmHumanWait = Mean(calmWindow, c => c.FirstHumanResponseAt - c.CreatedAt);
        var surgeHumanWait = Mean(surgeWindow, c => c.FirstHumanResponseAt - c.CreatedAt);
        Assert.True(surgeFirstResponse > 3 * calmFirstResponse, $"first response {surgeFirstResponse} vs {calmFirstResponse}");
        Assert.True(surgeHumanWait > 3 * calmHumanWait, $"first human reply {surgeHumanWait} vs {calmHumanWait}");

        // WhatsApp, served before email, still waits several times longer, and more customers give up.
        var calmWhatsApp = Mean(calmWindow.Where(c => c.Channel == Channels.WhatsApp), c => c.FirstHumanResponseAt - c.CreatedAt);
        var surgeWhatsApp = Mean(surgeWindow.Where(c => c.Channel == Channels.WhatsApp), c => c.FirstHumanResponseAt - c.CreatedAt);
        Assert.True(surgeWhatsApp > 3 * calmWhatsApp, $"WhatsApp {surgeWhatsApp} vs {calmWhatsApp}");
        Assert.True(AbandonedShare(surgeWindow) > 3 * AbandonedShare(calmWindow) + 0.05);
    }

    [Fact]
    public void Surveys_AreAnsweredOnTheirScalesAndAfterResolution()
    {
        var conversations = Week.Value.Conversations.ToDictionary(c => c.ExternalId);
        var surveys = Week.Value.Surveys;
        Assert.Equal(surveys.Count, surveys.Select(s => s.ExternalId).Distinct().Count());

        foreach (var s in surveys)
        {
            var c = conversations[s.ConversationId!];
            Assert.Equal("sim", s.Source);
            Assert.Equal(c.Channel, s.Channel);
            Assert.Equal(c.Team, s.Team);
            Assert.True(s.RespondedAt > c.FirstResolvedAt, s.ExternalId);
            Assert.Equal(Math.Round(s.Score), s.Score);
            Assert.InRange(s.Score, s.ScaleMin, s.ScaleMax);
            var (min, max) = s.Kind switch
            {
                SurveyKind.Csat => (1.0, 5.0),
                SurveyKind.Nps => (0.0, 10.0),
                _ => (1.0, 7.0),
            };
            Assert.Equal((min, max), (s.ScaleMin, s.ScaleMax));
        }

        double resolved = conversations.Values.Count(c => c.FirstResolvedAt < Epoch.AddDays(6));
        double Rate(SurveyKind kind) => surveys.Count(s => s.Kind == kind && conversations[s.ConversationId!].FirstResolvedAt < Epoch.AddDays(6)) / resolved;
        Assert.InRange(Rate(SurveyKind.Csat), 0.27, 0.33);
        Assert.InRange(Rate(SurveyKind.Nps), 0.12, 0.18);
        Assert.InRange(Rate(SurveyKind.Ces), 0.12, 0.18);

        var csat = surveys.Where(s => s.Kind == SurveyKind.Csat).ToList();
        Assert.InRange((double)csat.Count(s => s.Score >= 4) / csat.Count, 0.8, 0.9);
    }

    [Fact]
    public void Scores_WorsenWithWaiting()
    {
        var conversations = Week.Value.Conversations.ToDictionary(c => c.ExternalId);
        TimeSpan? Wait(SurveyResponse s) => conversations[s.ConversationId!] is var c && c.FirstHumanResponseAt is { } h ? h - c.CreatedAt : null;
        var answered = Week.Value.Surveys.Where(s => Wait(s) is not null).ToList();
        var shortWait = answered.Where(s => Wait(s) < TimeSpan.FromMinutes(5)).ToList();
        var longWait = answered.Where(s => Wait(s) > TimeSpan.FromMinutes(30)).ToList();

        double MeanScore(IEnumerable<SurveyResponse> set, SurveyKind kind) => set.Where(s => s.Kind == kind).Average(s => s.Score);
        Assert.True(MeanScore(longWait, SurveyKind.Csat) < MeanScore(shortWait, SurveyKind.Csat) - 0.3);
        Assert.True(MeanScore(longWait, SurveyKind.Nps) < MeanScore(shortWait, SurveyKind.Nps) - 0.5);
        Assert.True(MeanScore(longWait, SurveyKind.Ces) > MeanScore(shortWait, SurveyKind.Ces) + 0.3);
    }

    [Fact]
    public void EveryVersion_IsSelfConsistent()
    {
        var simulation = new TrafficSimulation(
            new SimulatorOptions { Surges = [new SimulatedSurge(SurgeStart, SurgeLength, 3)] }, "sim", Epoch);
        var seen = new Dictionary<string, Conversation>();
        var versions = 0;
        for (var t = Epoch.AddMinutes(10); t <= Epoch.AddDays(3); t = t.AddMinutes(10))
        {
            foreach (var c in simulation.AdvanceTo(t).Conversations)
            {
                AssertConsistent(c);
                if (seen.TryGetValue(c.ExternalId, out var before))
                {
                    Assert.True(c.UpdatedAt > before.UpdatedAt, c.ExternalId);
                    Assert.Equal(before.CreatedAt, c.CreatedAt);
                    Assert.Equal(before.Channel, c.Channel);
                    Assert.True(c.Reopens >= before.Reopens && c.AgentPublicReplies >= before.AgentPublicReplies, c.ExternalId);
                    Assert.True(before.FirstResponseAt is null || before.FirstResponseAt == c.FirstResponseAt, c.ExternalId);
                    Assert.True(before.FirstResolvedAt is null || before.FirstResolvedAt == c.FirstResolvedAt, c.ExternalId);
                }

                seen[c.ExternalId] = c;
                versions++;
            }
        }

        Assert.True(versions > 2 * seen.Count, $"{versions} versions of {seen.Count} conversations");
        Assert.Contains(seen.Values, c => c.Status == ConversationStatus.Pending);
        Assert.Contains(seen.Values, c => c.Status == ConversationStatus.Open);
    }

    [Fact]
    public void InvalidOptions_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficSimulation(new SimulatorOptions { ChatConcurrency = 0 }, "sim", Epoch));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficSimulation(new SimulatorOptions { BotDeflection = 1.5 }, "sim", Epoch));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficSimulation(new SimulatorOptions { ArrivalsPerHour = -1 }, "sim", Epoch));
        Assert.Throws<ArgumentException>(() => new TrafficSimulation(new SimulatorOptions(), " ", Epoch));
        Assert.Throws<ArgumentException>(() => new TrafficSimulation(
            new SimulatorOptions { Surges = [new SimulatedSurge(Epoch, TimeSpan.FromHours(1), -2)] }, "sim", Epoch));
    }

    private static void AssertConsistent(Conversation c)
    {
        Assert.Equal("sim", c.Source);
        Assert.Contains(c.Channel, Channels.Known);
        var times = new[] { c.FirstResponseAt, c.FirstHumanResponseAt, c.FirstResolvedAt, c.ResolvedAt, c.ClosedAt };
        Assert.All(times, t => Assert.True(t is null || (t >= c.CreatedAt && t <= c.UpdatedAt), c.ExternalId));
        Assert.True(c.UpdatedAt >= c.CreatedAt);

        Assert.Equal(c.FirstResponseAt is null, c.FirstResponderKind is null);
        Assert.True(c.FirstHumanResponseAt is null || c.FirstHumanResponseAt >= c.FirstResponseAt, c.ExternalId);
        if (c.FirstResponderKind == ResponderKind.Human)
        {
            Assert.Equal(c.FirstResponseAt, c.FirstHumanResponseAt);
        }

        Assert.Equal(c.FirstResolvedAt is null, c.ResolvedAt is null);
        Assert.True(c.ResolvedAt is null || c.ResolvedAt >= c.FirstResolvedAt, c.ExternalId);
        Assert.True(c.ClosedAt is null || c.ResolvedAt is null || c.ClosedAt > c.ResolvedAt, c.ExternalId);

        // Ended (solved or closed) exactly when the timestamps say so: closed, or resolved and not reopened since.
        Assert.Equal(c.ClosedAt is not null, c.Status == ConversationStatus.Closed);
        var endedByTimes = c.ClosedAt is not null || (c.ResolvedAt is not null && c.Status == ConversationStatus.Solved);
        Assert.Equal(endedByTimes, c.Status.IsEnded());
        switch (c.Status)
        {
            case ConversationStatus.New:
                Assert.Null(c.FirstResponseAt);
                Assert.Null(c.ResolvedAt);
                break;
            case ConversationStatus.Open:
                Assert.NotNull(c.FirstResponseAt);
                Assert.True(c.ResolvedAt is null || c.Reopens > 0, c.ExternalId); // open again only after a reopen
                break;
            case ConversationStatus.Pending:
                Assert.NotNull(c.FirstHumanResponseAt);
                Assert.Null(c.ResolvedAt);
                break;
            case ConversationStatus.Solved:
                Assert.NotNull(c.ResolvedAt);
                Assert.Equal(c.ResolvedAt, c.UpdatedAt);
                break;
            case ConversationStatus.Closed:
                Assert.Equal(c.ClosedAt, c.UpdatedAt);
                Assert.True(c.ResolvedAt is not null || c.FirstHumanResponseAt is null, c.ExternalId); // else abandoned
                break;
            default:
                Assert.Fail($"{c.ExternalId}: unexpected status {c.Status}");
                break;
        }

        Assert.Equal(c.FirstHumanResponseAt is null, c.AgentPublicReplies == 0);
        Assert.Equal(c.FirstHumanResponseAt is null, c.AssigneeId is null);
        Assert.True(c.Reopens >= 0 && c.Reopens <= 2);
        Assert.True(c.Reopens == 0 || c.FirstResolvedAt is not null);
        Assert.True(c.HandleTime is null || c.HandleTime > TimeSpan.Zero);
        Assert.True(c.WaitingOnCustomer >= TimeSpan.Zero);
    }

    private static List<Conversation> CreatedInSurgeWindow(IEnumerable<Conversation> conversations) =>
        conversations.Where(c => c.CreatedAt >= SurgeStart && c.CreatedAt < SurgeStart + SurgeLength).ToList();

    private static double AbandonedShare(List<Conversation> conversations) =>
        (double)conversations.Count(c => c.Status == ConversationStatus.Closed && c.ResolvedAt is null) / conversations.Count;

    private static TimeSpan Mean(IEnumerable<Conversation> conversations, Func<Conversation, TimeSpan?> measure) =>
        TimeSpan.FromTicks((long)conversations.Select(measure).Where(t => t is not null).Average(t => t!.Value.Ticks));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
