using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Sources;
using KpiCollector.Sources.Zendesk;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Zendesk;

/// <summary>
/// The real connector against the simulator's Zendesk face (written from the documented shapes, sharing no type with
/// the connector), over HTTP on loopback, both on one fake clock. The face serves a deterministic simulation, so what
/// the connector delivers can be checked against the same simulation run directly.
/// </summary>
public sealed class ZendeskAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task OnePoll_PagesThroughTheWholeExport_AndDeliversExactlyTheSimulatedTickets()
    {
        using var source = Source();

        var batches = await Drain(source, null);

        var exportPages = batches.Count(b => b.Conversations.Count > 0);
        Assert.True(exportPages > 5, $"{exportPages} export pages: the test is meant to page"); // ~700 tickets at 50 a page
        var delivered = batches.SelectMany(b => b.Conversations).ToList();
        Assert.Equal(delivered.Count, delivered.Select(c => c.ExternalId).Distinct().Count()); // each changed ticket once per export
        var expected = Simulated(T0 - ZendeskSource.ExportLag);
        Assert.Equal(expected.Keys.Order(), delivered.Select(c => c.ExternalId).Order());
        foreach (var c in delivered)
        {
            var sim = expected[c.ExternalId];
            Assert.Equal((sim.Channel, sim.Status), (c.Channel, c.Status));
            Assert.Equal(Seconds(sim.CreatedAt), c.CreatedAt);
            Assert.Equal(Seconds(sim.UpdatedAt), c.UpdatedAt);
            Assert.Equal(sim.FirstHumanResponseAt is null, c.FirstResponseAt is null);
            if (sim.FirstHumanResponseAt is { } human && c.FirstResponseAt is { } reply)
            {
                // Messaging tickets carry the reply time in seconds, the others in whole minutes.
                var tolerance = c.Channel is Channels.WhatsApp or Channels.Chat or Channels.Social or Channels.Sms ? 1.5 : 31;
                Assert.InRange(Math.Abs((reply - human).TotalSeconds), 0, tolerance);
            }
        }

        var csat = batches.SelectMany(b => b.Surveys).ToList();
        var simulatedCsat = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6)).AdvanceTo(T0 - ZendeskSource.ExportLag)
            .Surveys.Where(s => s.Kind == SurveyKind.Csat && s.Score is not null).ToList(); // the face serves answered ratings only
        Assert.Equal(simulatedCsat.Count, csat.Count);
        Assert.Equal(simulatedCsat.Count(s => s.Score >= 4), csat.Count(s => s.Score == 1));
        Assert.Null(batches[0].Watermark); // complete up to nothing until the export reached its end
        Assert.Equal(T0 - ZendeskSource.ExportLag, batches[^1].Watermark);
    }

    [Fact]
    public async Task StoppedMidPoll_ARestartResumesFromTheStoredCursor_NothingLostNothingDeliveredTwice()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var firstDelivery = new List<Conversation>();
        using (var first = Source())
        {
            var pages = 0;
            await foreach (var batch in first.PollAsync(null, CancellationToken.None))
            {
                store.Apply("zd", batch, _clock.GetUtcNow());
                firstDelivery.AddRange(batch.Conversations);
                if (++pages == 4)
                {
                    break; // the process stops here; only the store remembers
                }
            }
        }

        _clock.Advance(TimeSpan.FromMinutes(20)); // traffic goes on meanwhile
        var secondDelivery = new List<Conversation>();
        using (var restarted = Source())
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("zd")!.Cursor, CancellationToken.None))
            {
                store.Apply("zd", batch, _clock.GetUtcNow());
                secondDelivery.AddRange(batch.Conversations);
            }
        }

        var expected = Simulated(T0 + TimeSpan.FromMinutes(19));
        var stored = store.ReadConversations().ToDictionary(c => c.ExternalId);
        Assert.Equal(expected.Keys.Order(), stored.Keys.Order()); // nothing lost
        Assert.All(expected, kv => Assert.Equal((Seconds(kv.Value.UpdatedAt), kv.Value.Status), (stored[kv.Key].UpdatedAt, stored[kv.Key].Status)));

        // Nothing twice: what the first process delivered and did not change afterwards is not delivered again.
        var unchanged = firstDelivery.Where(c => Seconds(expected[c.ExternalId].UpdatedAt) == c.UpdatedAt).Select(c => c.ExternalId).ToHashSet();
        Assert.NotEmpty(unchanged);
        Assert.DoesNotContain(secondDelivery, c => unchanged.Contains(c.ExternalId));
    }

    [Fact]
    public async Task RatingsAnsweredLongAfterTheirOffer_AreRead_EachWithItsAnswerTime()
    {
        // The face creates a legacy rating at the offer (the first resolution) and updates it at the answer, minutes
        // to two days later, as Zendesk does; the ratings list filters on creation, the export shows the answer.
        using var source = Source();
        var batches = await Drain(source, null);
        for (var i = 0; i < 12; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(30));
            batches.AddRange(await Drain(source, batches[^1].Cursor));
        }

        var until = _clock.GetUtcNow() - ZendeskSource.ExportLag;
        var run = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6)).AdvanceTo(until);
        var answered = run.Surveys.Where(s => s.Kind == SurveyKind.Csat && s.Score is not null).ToList();
        var resolvedAt = run.Conversations.ToDictionary(c => c.ExternalId, c => c.FirstResolvedAt);
        Assert.Contains(answered, s => s.RespondedAt - resolvedAt.GetValueOrDefault(s.ConversationId!) > TimeSpan.FromHours(2)); // some answers come late

        var delivered = batches.SelectMany(b => b.Surveys).GroupBy(s => s.ExternalId).ToList();
        Assert.Equal(answered.Count, delivered.Count); // none lost
        Assert.All(delivered, g => Assert.Single(g.Select(s => (s.RespondedAt, s.Score)).Distinct())); // read again in the overlap, never changed
        Assert.Equal(
            answered.Select(s => (Ticket(s.ConversationId!), Seconds(s.RespondedAt), s.Score >= 4 ? 1.0 : 0.0)).Order(),
            delivered.Select(g => g.First()).Select(s => (s.ConversationId!, s.RespondedAt, s.Score!.Value)).Order());
    }

    private ZendeskSource Source() => new(new SourceOptions
    {
        Name = "zd",
        Platform = ZendeskPlatform.Id,
        BaseUrl = _simulator.BaseUrl("zendesk"),
        Email = "admin@simulator.test",
        ApiToken = "simulator-zendesk-token",
        Backfill = "6h",
        Timeout = "10s",
        Settings = new ZendeskSettings { PerPage = 50, ExportRequestsPerMinute = 1000 },
    }, 0, _clock, NullLogger<ZendeskSource>.Instance);

    /// <summary>
    /// The latest version of every conversation the simulation produced up to <paramref name="until"/>, by the ticket id
    /// Zendesk gives it (the number in <c>sim-000123</c>).
    /// </summary>
    private static Dictionary<string, Conversation> Simulated(DateTimeOffset until)
    {
        var simulation = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6));
        var latest = new Dictionary<string, Conversation>();
        for (var t = T0.AddHours(-5); ; t = t.AddHours(1))
        {
            var delta = simulation.AdvanceTo(t < until ? t : until);
            foreach (var c in delta.Conversations)
            {
                latest[Ticket(c.ExternalId)] = c;
            }

            // A legacy CSAT answer updates its ticket (its satisfaction_rating changes).
            foreach (var answer in delta.Surveys.Where(r => r.Kind == SurveyKind.Csat && r.Score is not null))
            {
                if (latest.TryGetValue(Ticket(answer.ConversationId!), out var rated) && rated.UpdatedAt < answer.RespondedAt)
                {
                    latest[Ticket(answer.ConversationId!)] = rated with { UpdatedAt = answer.RespondedAt };
                }
            }

            if (t >= until)
            {
                return latest;
            }
        }
    }

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    /// <summary>The ticket id Zendesk gives a simulated conversation: the number in <c>sim-000123</c>.</summary>
    private static string Ticket(string externalId) =>
        int.Parse(externalId.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<List<SourceBatch>> Drain(ISource source, string? cursor)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }
}
