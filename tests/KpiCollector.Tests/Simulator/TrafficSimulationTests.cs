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
    public void AdvanceTo_InChunks_GivesTheSameLatestVersionsOfEveryKindAsOneCall()
    {
        var until = Epoch.AddDays(2);
        var whole = new TrafficSimulation(new SimulatorOptions(), "sim", Epoch).AdvanceTo(until);
        Assert.NotEmpty(whole.Conversations);
        Assert.NotEmpty(whole.Surveys);
        Assert.NotEmpty(whole.Messages);
        Assert.NotEmpty(whole.AgentActivities);
        Assert.NotEmpty(whole.Costs);
        Assert.NotEmpty(whole.Customers);

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

        // Some exactly at period, hour and day ends, where a period closes and the next one opens with nothing elapsed.
        foreach (var hours in new[] { 0.25, 1, 5.5, 24, 30.75 })
        {
            boundaries.Add(Epoch.AddHours(hours));
        }

        var chunked = new TrafficSimulation(new SimulatorOptions(), "sim", Epoch);
        var latest = new Dictionary<string, Conversation>();
        var surveys = new List<SurveyResponse>();
        var messages = new List<MessageEvent>();
        var activities = new Dictionary<string, AgentActivity>();
        var costs = new List<CostEntry>();
        var customers = new List<CustomerCount>();
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

            Assert.All(delta.Messages, m => Assert.InRange(m.At, previous.AddTicks(1), boundary));
            messages.AddRange(delta.Messages);
            Assert.Equal(delta.AgentActivities.Count, delta.AgentActivities.Select(a => a.ExternalId).Distinct().Count());
            foreach (var a in delta.AgentActivities)
            {
                if (a.To is { } to)
                {
                    Assert.InRange(to, previous.AddTicks(1), boundary);
                }
                else
                {
                    Assert.InRange(boundary - a.From, TimeSpan.Zero, TimeSpan.FromMinutes(15) - TimeSpan.FromTicks(1));
                }

                activities[a.ExternalId] = a;
            }

            Assert.All(delta.Costs, e => Assert.InRange(e.To, previous.AddTicks(1), boundary));
            costs.AddRange(delta.Costs);
            Assert.All(delta.Customers, d => Assert.InRange(d.PeriodEnd, previous.AddTicks(1), boundary));
            customers.AddRange(delta.Customers);

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
        Assert.Equal(whole.Messages, messages);
        Assert.Equal(whole.AgentActivities.Count, activities.Count);
        foreach (var a in whole.AgentActivities)
        {
            Assert.Equal(a, activities[a.ExternalId]);
        }

        Assert.Equal(whole.Costs, costs);
        Assert.Equal(whole.Customers, customers);
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
        Assert.Empty(empty.Messages);
        Assert.Empty(empty.AgentActivities);
        Assert.Empty(empty.Costs);
        Assert.Empty(empty.Customers);

        var until = Epoch.AddHours(6);
        Assert.NotEmpty(simulation.AdvanceTo(until).Conversations);
        var backwards = simulation.AdvanceTo(Epoch.AddHours(1));
        Assert.Empty(backwards.Conversations);
        Assert.Empty(backwards.Surveys);
        Assert.Empty(backwards.Messages);
        Assert.Empty(backwards.AgentActivities);
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
        Assert.Equal(a.Messages, b.Messages);
        Assert.Equal(a.AgentActivities, b.AgentActivities);
        Assert.Equal(a.Costs, b.Costs);
        Assert.Equal(a.Customers, b.Customers);
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

        // The same agents are busier.
        var calmUtilization = Utilization(calm.AgentActivities.Where(a => a.From >= SurgeStart && a.From < SurgeStart + SurgeLength));
        var surgeUtilization = Utilization(surge.AgentActivities.Where(a => a.From >= SurgeStart && a.From < SurgeStart + SurgeLength));
        Assert.True(surgeUtilization > calmUtilization + 0.03, $"utilization {surgeUtilization} vs {calmUtilization}");
        Assert.InRange(surgeUtilization, 0.9, 1.0);
    }

    [Fact]
    public void Surveys_AreOfferedAtResolution_AnsweredOnTheirScales_OneRecordEach()
    {
        var conversations = Week.Value.Conversations.ToDictionary(c => c.ExternalId);
        var surveys = Week.Value.Surveys;
        Assert.Equal(surveys.Count, surveys.Select(s => s.ExternalId).Distinct().Count());

        foreach (var s in surveys)
        {
            var c = conversations[s.ConversationId!];
            Assert.Equal("sim", s.Source);
            Assert.Equal($"{c.ExternalId}-{s.Kind.ToLabel()}", s.ExternalId);
            Assert.Equal(c.Channel, s.Channel);
            Assert.Equal(c.Team, s.Team);
            var (min, max) = s.Kind switch
            {
                SurveyKind.Csat => (1.0, 5.0),
                SurveyKind.Nps => (0.0, 10.0),
                _ => (1.0, 7.0),
            };
            Assert.Equal((min, max), (s.ScaleMin, s.ScaleMax));
            if (s.Score is { } score)
            {
                Assert.True(s.RespondedAt > c.FirstResolvedAt, s.ExternalId);
                Assert.Equal(Math.Round(score), score);
                Assert.InRange(score, s.ScaleMin, s.ScaleMax);
            }
            else
            {
                Assert.Equal(c.FirstResolvedAt, s.RespondedAt); // offered at the first resolution, never answered
            }
        }

        // Answers come within 48 hours: every conversation resolved before day 5 has its three surveys, once each.
        var settled = conversations.Values.Where(c => c.FirstResolvedAt < Epoch.AddDays(5)).Select(c => c.ExternalId).ToHashSet();
        var settledSurveys = surveys.Where(s => settled.Contains(s.ConversationId!)).ToList();
        Assert.Equal(3 * settled.Count, settledSurveys.Count);
        Assert.All(settledSurveys.GroupBy(s => s.ConversationId), g => Assert.Equal(3, g.Select(s => s.Kind).Distinct().Count()));
        Assert.DoesNotContain(surveys, s => conversations[s.ConversationId!].FirstResolvedAt is null);

        double Rate(SurveyKind kind) =>
            (double)settledSurveys.Count(s => s.Kind == kind && s.Score is not null) / settledSurveys.Count(s => s.Kind == kind);
        Assert.InRange(Rate(SurveyKind.Csat), 0.27, 0.33);
        Assert.InRange(Rate(SurveyKind.Nps), 0.12, 0.18);
        Assert.InRange(Rate(SurveyKind.Ces), 0.12, 0.18);

        var csat = surveys.Where(s => s.Kind == SurveyKind.Csat && s.Score is not null).ToList();
        Assert.InRange((double)csat.Count(s => s.Score >= 4) / csat.Count, 0.8, 0.9);
    }

    [Fact]
    public void Scores_WorsenWithWaiting()
    {
        var conversations = Week.Value.Conversations.ToDictionary(c => c.ExternalId);
        TimeSpan? Wait(SurveyResponse s) => conversations[s.ConversationId!] is var c && c.FirstHumanResponseAt is { } h ? h - c.CreatedAt : null;
        var answered = Week.Value.Surveys.Where(s => s.Score is not null && Wait(s) is not null).ToList();
        var shortWait = answered.Where(s => Wait(s) < TimeSpan.FromMinutes(5)).ToList();
        var longWait = answered.Where(s => Wait(s) > TimeSpan.FromMinutes(30)).ToList();

        double MeanScore(IEnumerable<SurveyResponse> set, SurveyKind kind) => set.Where(s => s.Kind == kind).Average(s => s.Score!.Value);
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
    public void BotHandoff_StartsTheWaitForAHuman()
    {
        var conversations = Week.Value.Conversations;
        var botChannels = conversations.Where(c => c.Channel is Channels.WhatsApp or Channels.Chat or Channels.Web).ToList();
        Assert.DoesNotContain(conversations, c => c.BotHandoffAt is not null && c.Channel is not (Channels.WhatsApp or Channels.Chat or Channels.Web));

        var handedOff = botChannels.Where(c => c.FirstHumanResponseAt is not null).ToList();
        Assert.NotEmpty(handedOff);
        Assert.All(handedOff, c =>
        {
            Assert.NotNull(c.BotHandoffAt);
            Assert.True(c.CreatedAt <= c.BotHandoffAt && c.BotHandoffAt <= c.FirstHumanResponseAt, c.ExternalId);
            Assert.InRange(c.BotHandoffAt!.Value - c.FirstResponseAt!.Value, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        });

        // Deflected conversations never reach the queue.
        Assert.All(botChannels.Where(c => c.ResolvedAt is not null && c.FirstHumanResponseAt is null), c => Assert.Null(c.BotHandoffAt));
    }

    [Fact]
    public void Messages_AreConsistentWithTheirConversations()
    {
        var conversations = Week.Value.Conversations.ToDictionary(c => c.ExternalId);
        var messages = Week.Value.Messages;
        Assert.Equal(messages.Count, messages.Select(m => m.ExternalId).Distinct().Count());
        Assert.True(messages.Zip(messages.Skip(1)).All(p => p.First.At <= p.Second.At), "messages are in time order");

        var threads = messages.GroupBy(m => m.ConversationId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(conversations.Count, threads.Count); // every conversation opens with a customer message
        foreach (var (id, thread) in threads)
        {
            var c = conversations[id];
            Assert.All(thread, m =>
            {
                Assert.Equal("sim", m.Source);
                Assert.Equal(c.Channel, m.Channel);
                Assert.Equal(m.Direction == MessageDirection.Inbound, m.Author == AuthorKind.Customer);
                Assert.Equal(m.Direction == MessageDirection.Inbound, m.StartsWait);
                Assert.True(m.At >= c.CreatedAt && m.At <= c.UpdatedAt, m.ExternalId);
            });

            var opening = thread[0];
            Assert.Equal((MessageDirection.Inbound, AuthorKind.Customer, c.CreatedAt), (opening.Direction, opening.Author, opening.At));

            // Every reply answers an earlier customer message of the same conversation that opened a wait.
            var waits = thread.Where(m => m.StartsWait).Select(m => m.At).ToHashSet();
            foreach (var reply in thread.Where(m => m.Direction == MessageDirection.Outbound))
            {
                Assert.NotNull(reply.RespondsToAt);
                Assert.True(reply.RespondsToAt <= reply.At, reply.ExternalId);
                Assert.Contains(reply.RespondsToAt!.Value, waits);
            }

            var bot = thread.Where(m => m.Author == AuthorKind.Bot).ToList();
            if (c.FirstResponderKind == ResponderKind.Bot)
            {
                var botReply = Assert.Single(bot);
                Assert.Equal(c.FirstResponseAt, botReply.At);
                Assert.Equal(c.CreatedAt, botReply.RespondsToAt);
            }
            else
            {
                Assert.Empty(bot);
            }

            // The first human reply answers the opening message; every human reply is a public reply.
            var human = thread.Where(m => m.Author == AuthorKind.Human).ToList();
            Assert.Equal(c.AgentPublicReplies, human.Count);
            if (human.Count > 0)
            {
                Assert.Equal(c.FirstHumanResponseAt, human[0].At);
                Assert.Equal(c.CreatedAt, human[0].RespondsToAt);
            }
        }

        // Follow-up exchanges: some first contacts have up to three more customer messages; in a conversation that a
        // human handled and that is now closed, every customer message after the opening was answered by a human.
        var followUps = threads.Values.Select(t => t.Count(m => m.Direction == MessageDirection.Inbound) - 1).ToList();
        Assert.Contains(followUps, n => n >= 3);
        var handledAndClosed = threads.Where(t => conversations[t.Key] is { Status: ConversationStatus.Closed, FirstHumanResponseAt: not null }).ToList();
        Assert.NotEmpty(handledAndClosed);
        Assert.All(handledAndClosed, t =>
            Assert.All(t.Value.Skip(1).Where(m => m.StartsWait), ask => Assert.Contains(t.Value, m => m.RespondsToAt == ask.At && m.Author == AuthorKind.Human)));
    }

    [Fact]
    public void Messages_OnWhatsApp_CarryTheirDeliveryStatus()
    {
        var messages = Week.Value.Messages;
        Assert.All(messages.Where(m => m.Channel != Channels.WhatsApp || m.Direction == MessageDirection.Inbound), m =>
        {
            Assert.Null(m.DeliveryStatus);
            Assert.Null(m.ErrorCode);
        });

        var outbound = messages.Where(m => m.Channel == Channels.WhatsApp && m.Direction == MessageDirection.Outbound).ToList();
        Assert.All(outbound, m => Assert.Contains(m.DeliveryStatus, new[] { "read", "delivered", "failed" }));
        Assert.All(outbound, m => Assert.Equal(m.DeliveryStatus == "failed", m.ErrorCode is not null));
        Assert.All(outbound.Where(m => m.ErrorCode is not null), m => Assert.Contains(m.ErrorCode, new[] { "131047", "131026" }));

        double Share(string status) => (double)outbound.Count(m => m.DeliveryStatus == status) / outbound.Count;
        Assert.InRange(Share("failed"), 0.01, 0.03);
        Assert.InRange(Share("delivered"), 0.05, 0.15);
        Assert.True(Share("read") > 0.8);
    }

    [Fact]
    public void AgentActivity_ClosedPeriods_AreQuarterHoursOfPlausibleWork()
    {
        var activities = Week.Value.AgentActivities;
        var closed = activities.Where(a => a.To is not null).ToList();
        Assert.Equal(activities.Count, activities.Select(a => a.ExternalId).Distinct().Count());
        Assert.All(closed, a =>
        {
            Assert.Equal("sim", a.Source);
            Assert.Equal(TimeSpan.FromMinutes(15), a.To!.Value - a.From);
            Assert.Equal(0, a.From.ToUnixTimeSeconds() % 900);
            Assert.Equal($"{a.AgentId}@{a.From.ToUnixTimeSeconds()}", a.ExternalId);
            Assert.Matches("^agent-[0-9]{2}$", a.AgentId);
            Assert.Contains(a.Team, new[] { "billing", "tech", "sales" });
            Assert.Contains(a.State, new[] { AgentState.Available, AgentState.Busy });
            Assert.Equal(3, a.Capacity);
            Assert.InRange(a.WorkItems!.Value, 0, a.Capacity!.Value);
        });

        // Every quarter hour of the week is covered, by at least one agent, more at the weekday peak than at night.
        var periods = closed.GroupBy(a => a.From).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(7 * 24 * 4, periods.Count);
        Assert.All(periods.Values, n => Assert.InRange(n, 1, 24));
        Assert.True(periods[Epoch.AddDays(1).AddHours(11)] > 2 * periods[Epoch.AddDays(1).AddHours(3)]);

        // A team per agent, fixed; the teams are all staffed.
        Assert.All(closed.GroupBy(a => a.AgentId), g => Assert.Single(g.Select(a => a.Team).Distinct()));
        Assert.Equal(3, closed.Select(a => a.Team).Distinct().Count());

        Assert.InRange(Utilization(closed), 0.5, 0.95);
        var weekdayPeak = closed.Where(a => a.From.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && a.From.Hour is >= 9 and < 17);
        Assert.InRange(Utilization(weekdayPeak), 0.8, 0.98);
        Assert.InRange((double)closed.Count(a => a.State == AgentState.Busy) / closed.Count, 0.2, 0.9);
    }

    [Fact]
    public void AgentActivity_OpenVersions_AreReplacedByClosedOnes()
    {
        var simulation = new TrafficSimulation(new SimulatorOptions(), "sim", Epoch);
        var latest = new Dictionary<string, AgentActivity>();
        var opened = 0;
        var random = new Random(3);
        for (var t = Epoch.AddSeconds(1); t <= Epoch.AddDays(1); t = t.AddSeconds(random.Next(1, 1800)))
        {
            var delta = simulation.AdvanceTo(t);
            var open = delta.AgentActivities.Where(a => a.To is null).ToList();

            // Whoever is on shift now has one open version, for the period in progress; closed ones come first.
            Assert.NotEmpty(open);
            Assert.All(open, a =>
            {
                Assert.Equal(QuarterStart(t), a.From);
                Assert.Contains(a.State, new[] { AgentState.Available, AgentState.Busy });
                Assert.InRange(a.WorkItems!.Value, 0, a.Capacity!.Value);
            });
            Assert.True(delta.AgentActivities.SkipWhile(a => a.To is not null).All(a => a.To is null));

            foreach (var a in delta.AgentActivities)
            {
                if (latest.TryGetValue(a.ExternalId, out var before))
                {
                    Assert.Null(before.To); // only an open version is ever replaced
                    Assert.Equal((before.AgentId, before.Team, before.From), (a.AgentId, a.Team, a.From));
                }

                latest[a.ExternalId] = a;
            }

            opened += open.Count;
        }

        Assert.True(opened > 1000);
        var stillOpen = latest.Values.Where(a => a.To is null).ToList();
        Assert.NotEmpty(stillOpen);
        Assert.All(stillOpen, a => Assert.Equal(QuarterStart(simulation.Now), a.From));
    }

    [Fact]
    public void Costs_PerHour_AreWhatsAppConversationsTimesThePrice()
    {
        var created = Week.Value.Conversations.Where(c => c.Channel == Channels.WhatsApp)
            .GroupBy(c => c.CreatedAt.UtcTicks - c.CreatedAt.UtcTicks % TimeSpan.TicksPerHour)
            .ToDictionary(g => g.Key, g => g.Count());
        var costs = Week.Value.Costs;
        Assert.Equal(7 * 24, costs.Count);
        for (var i = 0; i < costs.Count; i++)
        {
            var cost = costs[i];
            Assert.Equal(Epoch.AddHours(i), cost.From);
            Assert.Equal(Epoch.AddHours(i + 1), cost.To);
            Assert.Equal($"whatsapp@{cost.From.ToUnixTimeSeconds()}", cost.ExternalId);
            Assert.Equal(("sim", "EUR", CostCategories.Platform), (cost.Source, cost.Currency, cost.Category));
            Assert.Equal(created.GetValueOrDefault(cost.From.UtcTicks) * 0.0320m, cost.Amount);
        }

        Assert.Equal(Week.Value.Conversations.Count(c => c.Channel == Channels.WhatsApp) * 0.0320m, costs.Sum(c => c.Amount));
    }

    [Fact]
    public void Customers_PerDay_ChainAndBalance()
    {
        var days = Week.Value.Customers;
        Assert.Equal(7, days.Count);
        Assert.Equal(5000, days[0].Start);
        for (var i = 0; i < days.Count; i++)
        {
            var d = days[i];
            Assert.Equal("sim", d.Source);
            Assert.Equal((Epoch.AddDays(i), Epoch.AddDays(i + 1)), (d.PeriodStart, d.PeriodEnd));
            Assert.Equal(d.Start + d.New - d.Lost, d.End);
            Assert.True(d.New >= 0 && d.Lost >= 0 && d.Lost <= d.Start);
            if (i > 0)
            {
                Assert.Equal(days[i - 1].End, d.Start);
            }
        }

        Assert.InRange(days.Average(d => (double)d.New / d.Start), 0.007, 0.013);
        Assert.InRange(days.Average(d => (double)d.Lost / d.Start), 0.005, 0.011);
        Assert.True(days.Select(d => d.New).Distinct().Count() > 1, "seeded noise");
    }

    [Fact]
    public void PeriodicRecords_FromAnUnalignedEpoch_StartAtTheEpochOrItsDay()
    {
        var epoch = new DateTimeOffset(2026, 3, 11, 13, 37, 12, TimeSpan.Zero);
        var delta = new TrafficSimulation(new SimulatorOptions(), "sim", epoch).AdvanceTo(epoch.AddDays(1));

        // The first agent period and cost hour run from the epoch to the next boundary; later ones are whole.
        var firstPeriod = delta.AgentActivities.Where(a => a.From == epoch).ToList();
        Assert.NotEmpty(firstPeriod);
        Assert.All(firstPeriod, a => Assert.Equal(new DateTimeOffset(2026, 3, 11, 13, 45, 0, TimeSpan.Zero), a.To));
        Assert.All(delta.AgentActivities.Where(a => a.From > epoch && a.To is not null), a => Assert.Equal(TimeSpan.FromMinutes(15), a.To!.Value - a.From));
        Assert.Equal((epoch, new DateTimeOffset(2026, 3, 11, 14, 0, 0, TimeSpan.Zero)), (delta.Costs[0].From, delta.Costs[0].To));
        Assert.Equal(delta.Conversations.Count(c => c.Channel == Channels.WhatsApp && c.CreatedAt < delta.Costs[0].To) * 0.0320m, delta.Costs[0].Amount);

        // The customers feed counts whole days from the epoch's midnight.
        var day = Assert.Single(delta.Customers);
        Assert.Equal((epoch.Date, epoch.Date.AddDays(1)), (day.PeriodStart.UtcDateTime, day.PeriodEnd.UtcDateTime));
        Assert.Equal(5000, day.Start);
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
        Assert.True(c.BotHandoffAt is null || (c.BotHandoffAt > c.FirstResponseAt && c.BotHandoffAt <= c.UpdatedAt), c.ExternalId);
        Assert.True(c.BotHandoffAt is null || c.FirstHumanResponseAt is null || c.BotHandoffAt <= c.FirstHumanResponseAt, c.ExternalId);
        Assert.True(c.BotHandoffAt is null || c.FirstResponderKind == ResponderKind.Bot, c.ExternalId);
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

    /// <summary>The start of the 15-minute UTC period that contains <paramref name="t"/>.</summary>
    private static DateTimeOffset QuarterStart(DateTimeOffset t) => t.AddTicks(-(t.UtcTicks % (15 * TimeSpan.TicksPerMinute)));

    /// <summary>Time-weighted slots held ÷ capacity over the closed periods.</summary>
    private static double Utilization(IEnumerable<AgentActivity> activities)
    {
        var closed = activities.Where(a => a.To is not null).ToList();
        return closed.Sum(a => a.WorkItems!.Value * (a.To!.Value - a.From).Ticks) / closed.Sum(a => a.Capacity!.Value * (a.To!.Value - a.From).Ticks);
    }

    private static TimeSpan Mean(IEnumerable<Conversation> conversations, Func<Conversation, TimeSpan?> measure) =>
        TimeSpan.FromTicks((long)conversations.Select(measure).Where(t => t is not null).Average(t => t!.Value.Ticks));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
