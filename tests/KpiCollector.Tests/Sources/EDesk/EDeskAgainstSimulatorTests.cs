using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.EDesk;
using KpiCollector.Sources;
using KpiCollector.Sources.EDesk;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.EDesk;

/// <summary>
/// The real connector against the simulator's eDesk face (written from the documented shapes, sharing no type with the
/// connector), over HTTP on loopback, both on one fake clock: a budgeted backfill across several polls and a restart
/// delivers every simulated ticket once, with what the simulation says of it.
/// </summary>
public sealed class EDeskAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(
        _clock, "Simulator:Backfill=6h", "Simulator:EDesk:RequestsPerSecond=100000", "Simulator:EDesk:Burst=100000");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task ABudgetedBackfill_AcrossPollsAndARestart_DeliversEachSimulatedTicketOnce_AsSimulated()
    {
        var delivered = new List<Conversation>();
        var surveys = new List<SurveyResponse>();
        string? cursor = null;
        var polls = 0;
        DateTimeOffset? watermark = null;
        var source = Source();
        try
        {
            while (watermark is null)
            {
                Assert.True(++polls < 100, "the backfill never ended");
                if (polls == 3)
                {
                    source.Dispose();
                    source = Source(); // a restart in the middle of the pass: only the saved cursor carries over
                }

                await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
                {
                    delivered.AddRange(b.Conversations);
                    surveys.AddRange(b.Surveys);
                    (cursor, watermark) = (b.Cursor, b.Watermark);
                }
            }

            Assert.True(polls > 3, $"{polls} polls: the budget is meant to spread the backfill over several");
            var face = _simulator.Service<EDeskFace>();
            var expected = face.Helpdesk.Latest().ToDictionary(c => FaceResponses(c.ExternalId));
            Assert.Equal(expected.Keys.Order(), delivered.Select(c => c.ExternalId).Order()); // each once: the restart re-delivered nothing
            foreach (var c in delivered)
            {
                var sim = expected[c.ExternalId];
                Assert.Equal((sim.Channel, sim.Status, sim.FirstResponderKind), (c.Channel, c.Status, c.FirstResponderKind));
                Assert.InRange((c.CreatedAt - sim.CreatedAt).TotalSeconds, -1, 0);
                Close(sim.FirstResponseAt, c.FirstResponseAt);
                Close(sim.FirstHumanResponseAt, c.FirstHumanResponseAt);
                Assert.Equal(sim.Status.IsEnded(), c.ResolvedAt is not null);
            }

            var answered = expected.Values.Select(c => face.Helpdesk.CsatOf(c.ExternalId)).Where(s => s?.Score is not null).ToList();
            Assert.NotEmpty(answered);
            Assert.Equal(answered.Count, surveys.Count);
            Assert.Equal(answered.Sum(s => s!.Score!.Value), surveys.Sum(s => s.Score!.Value));

            // Nothing changed since: the next pass re-reads the day and delivers nothing.
            var again = new List<Conversation>();
            await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
            {
                again.AddRange(b.Conversations);
            }

            Assert.Empty(again);
        }
        finally
        {
            source.Dispose();
        }
    }

    [Fact]
    public async Task CheckSources_ReadsTheChannels_WithThePollsToken_AndReportsARefusedOne()
    {
        var good = new KpiCollector.Checks.SourceCheck { Name = "ed", Platform = EDeskPlatform.Id, Key = "KpiCollector:Sources:0" };
        await EDeskCheck.CheckAsync(Options("simulator-edesk-token"), 0, good, CancellationToken.None);
        Assert.True(good.Pollable, good.Identity);
        Assert.Equal((true, true, "a token that reads 9 channels"), (good.Reachable, good.Authenticated, good.Identity));
        Assert.Contains("KpiCollector:Sources:0:EDesk:MessagesPerPoll", good.RateLimit, StringComparison.Ordinal);
        Assert.NotNull(good.Backfill);

        var refused = new KpiCollector.Checks.SourceCheck { Name = "ed", Platform = EDeskPlatform.Id, Key = "KpiCollector:Sources:0" };
        await EDeskCheck.CheckAsync(Options("revoked-token"), 0, refused, CancellationToken.None);
        Assert.False(refused.Pollable);
        Assert.Contains("HTTP 401", refused.Identity, StringComparison.Ordinal);
        Assert.Contains("KpiCollector:Sources:0:ApiToken", refused.Identity, StringComparison.Ordinal);
        Assert.DoesNotContain("revoked-token", refused.Identity, StringComparison.Ordinal);
    }

    private static void Close(DateTimeOffset? expected, DateTimeOffset? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is { } e && actual is { } a)
        {
            Assert.InRange((a - e).TotalSeconds, -1, 0); // the face writes whole seconds
        }
    }

    private static string FaceResponses(string simId) => KpiCollector.Simulator.Faces.FaceResponses.Number(simId)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private EDeskSource Source() => new(Options("simulator-edesk-token"), 0, _clock, NullLogger<EDeskSource>.Instance);

    private SourceOptions Options(string token) => new()
    {
        Name = "ed",
        Platform = EDeskPlatform.Id,
        BaseUrl = _simulator.BaseUrl("edesk"),
        ApiToken = token,
        Backfill = "6h",
        Timeout = "10s",
        MaxRetries = 0,
        RequestsPerMinute = 100_000,
        Settings = new EDeskSettings { TimeZone = "America/New_York", MessagesPerPoll = 600 },
    };
}
