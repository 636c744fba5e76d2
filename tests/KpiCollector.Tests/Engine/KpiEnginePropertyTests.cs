using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Engine;

/// <summary>
/// Random sequences of creates, replies, resolutions, reopens and survey answers with the clock advancing (in small
/// steps and in jumps past the longest window): after every step the engine must equal a from-scratch computation
/// over the current records.
/// </summary>
public sealed class KpiEnginePropertyTests
{
    private static readonly string[] ChannelPool = [Channels.WhatsApp, Channels.Email, Channels.Chat];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Engine_EqualsFromScratchComputation_AfterEveryStep(int seed)
    {
        var random = new Random(seed);
        var clock = new FakeTimeProvider(Records.T0);
        var options = new EngineOptions
        {
            Windows = [KpiWindow.Parse("5m"), KpiWindow.Parse("1h"), KpiWindow.Parse("1d"), KpiWindow.Parse("7d")],
            BucketWidth = TimeSpan.FromMinutes(1),
        };
        var engine = new KpiEngine(options, clock);
        var reference = new ReferenceKpis(options);
        var conversations = new Dictionary<string, Conversation>();
        var surveys = new Dictionary<string, SurveyResponse>();

        for (var step = 0; step < 400; step++)
        {
            var now = clock.GetUtcNow();
            var op = random.Next(10);
            if (op < 4 || conversations.Count == 0)
            {
                var id = $"c{step}";
                var c = Records.Conversation(id, now - TimeSpan.FromMinutes(random.Next(-3, 600)), ChannelPool[random.Next(ChannelPool.Length)]) with
                {
                    RequesterId = random.Next(3) == 0 ? null : $"customer-{random.Next(25)}",
                };
                Upsert(engine, conversations, c);
            }
            else if (op < 8)
            {
                var old = conversations.Values.ElementAt(random.Next(conversations.Count));
                Upsert(engine, conversations, Evolve(old, random));
            }
            else if (op < 9)
            {
                var id = $"s{random.Next(60)}"; // ids repeat: an answer can be revised
                var s = Records.Csat(id, random.Next(1, 6), now - TimeSpan.FromMinutes(random.Next(0, 200)), ChannelPool[random.Next(ChannelPool.Length)]);
                s = random.Next(5) == 0 ? s with { Score = null } : s; // an offer not answered
                surveys.TryGetValue(id, out var oldSurvey);
                engine.Apply([new RecordChange<SurveyResponse>(oldSurvey, s)]);
                surveys[id] = s;
            }
            else
            {
                clock.Advance(random.Next(20) == 0 ? TimeSpan.FromDays(random.Next(1, 10)) : TimeSpan.FromSeconds(random.Next(1, 1800)));
            }

            AssertEqualsReference(engine.Snapshot(), reference, conversations.Values.ToList(), surveys.Values.ToList(), options);
        }
    }

    private static void Upsert(KpiEngine engine, Dictionary<string, Conversation> store, Conversation current)
    {
        store.TryGetValue(current.ExternalId, out var old);
        engine.Apply([new RecordChange<Conversation>(old, current)]);
        store[current.ExternalId] = current;
    }

    private static Conversation Evolve(Conversation c, Random random)
    {
        var after = TimeSpan.FromSeconds(random.Next(1, 20_000));
        return random.Next(5) switch
        {
            0 => c.Replied(after, random.Next(2) == 0 ? ResponderKind.Bot : ResponderKind.Human),
            1 => c with { FirstHumanResponseAt = c.CreatedAt + after, Status = ConversationStatus.Open },
            2 => c.Solved(after),
            3 => c with { Status = ConversationStatus.Open, Reopens = (c.Reopens ?? 0) + 1 },
            4 when random.Next(2) == 0 => c with { Status = ConversationStatus.Closed, ClosedAt = c.CreatedAt + after, UpdatedAt = c.CreatedAt + after },
            _ => c with { Status = (ConversationStatus)random.Next(6), Channel = ChannelPool[random.Next(ChannelPool.Length)] },
        };
    }

    private static void AssertEqualsReference(KpiSnapshot snapshot, ReferenceKpis reference, List<Conversation> cs, List<SurveyResponse> ss, EngineOptions options)
    {
        var now = snapshot.At;
        foreach (var series in snapshot.Series)
        {
            var channel = series.Key.Channel == Channels.All ? null : series.Key.Channel;
            foreach (var status in Enum.GetValues<ConversationStatus>().Where(s => !s.IsEnded()))
            {
                Assert.Equal(reference.Backlog(cs, channel, status), series.BacklogByStatus[(int)status]);
            }

            foreach (var w in series.Windows)
            {
                var length = w.Window.Length;
                Assert.Equal(reference.Created(cs, channel, now, length), w[Counter.TicketsCreated]);
                Assert.Equal(reference.Resolved(cs, channel, now, length), w[Counter.TicketsResolved]);
                var (responses, satisfied) = reference.Csat(ss, channel, now, length);
                Assert.Equal(responses, w[Counter.CsatResponses]);
                Assert.Equal(satisfied, w[Counter.CsatSatisfied]);
                var (ended, abandoned) = reference.Abandonment(cs, channel, now, length);
                Assert.Equal(ended, w[Counter.Ended]);
                Assert.Equal(abandoned, w[Counter.Abandoned]);
                Assert.Equal(reference.DistinctRequesters(cs, channel, now, length), w.DistinctRequesters);
                AssertDist(reference.ResolutionTimes(cs, channel, now, length), w[Dist.Resolution]);
                AssertDist(reference.FirstResponseTimes(cs, channel, "all", now, length), w[Dist.FirstResponseAll]);
                AssertDist(reference.FirstResponseTimes(cs, channel, "bot", now, length), w[Dist.FirstResponseBot]);
                AssertDist(reference.FirstResponseTimes(cs, channel, "human", now, length), w[Dist.FirstResponseHuman]);
            }
        }

        Assert.Equal(options.Windows.Count, snapshot.Series.FirstOrDefault()?.Windows.Count ?? options.Windows.Count);
    }

    private static void AssertDist(List<double> exact, DistSummary actual)
    {
        Assert.Equal(exact.Count, actual.Count);
        if (exact.Count == 0)
        {
            return;
        }

        Assert.Equal(exact.Average(), actual.MeanSeconds, 1e-9);
        KpiEngineTests.AssertClose(ReferenceKpis.Quantile(exact, 0.50), actual.P50Seconds);
        KpiEngineTests.AssertClose(ReferenceKpis.Quantile(exact, 0.95), actual.P95Seconds);
    }
}
