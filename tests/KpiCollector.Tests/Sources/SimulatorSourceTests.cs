using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Sources;
using KpiCollector.Sources.Simulator;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources;

public sealed class SimulatorSourceTests
{
    private readonly FakeTimeProvider _clock = new(Records.T0);

    [Fact]
    public async Task FirstPoll_BackfillsInHourlyPages_AndTheCursorResumesExactlyWhereItStopped()
    {
        var settings = new SimulatorSettings { Backfill = "6h" };
        var source = new SimulatorSource("sim", settings, _clock);

        var first = await Drain(source, null);
        Assert.Equal(6, first.Count);
        Assert.Equal(Records.T0 - TimeSpan.FromSeconds(5), first[^1].Watermark);

        _clock.Advance(TimeSpan.FromMinutes(30));
        var restarted = new SimulatorSource("sim", settings, _clock); // a new process: the simulation is rebuilt from the cursor
        var next = await Drain(restarted, first[^1].Cursor);
        var continuous = await Drain(source, first[^1].Cursor);

        Assert.Equal(Ids(continuous), Ids(next));
        Assert.NotEmpty(Ids(next));
    }

    [Fact]
    public async Task ACursorSavesExactlyWhatWasDelivered_SoARestartAtAnyInstantReplaysTheSameHistory()
    {
        // A clock between two milliseconds: the cursor keeps whole milliseconds, so the simulation must too.
        var clock = new FakeTimeProvider(Records.T0.AddTicks(4_321));
        var settings = new SimulatorSettings { Backfill = "2d", ArrivalsPerHour = 400 };
        var first = await Drain(new SimulatorSource("sim", settings, clock), null);
        Assert.All(first, b => Assert.Equal(SimulatorSource.ParseCursor(b.Cursor!).Delivered, b.Watermark));

        // "Killed" after the 20th page: a new process resumes from that page's cursor, an hour later.
        clock.Advance(TimeSpan.FromHours(1).Add(TimeSpan.FromTicks(1_234)));
        var resumed = await Drain(new SimulatorSource("sim", settings, clock), first[19].Cursor);
        var stored = new Dictionary<string, long>();
        foreach (var c in first.Take(20).Concat(resumed).SelectMany(b => b.Conversations))
        {
            stored[c.ExternalId] = c.UpdatedAt.ToUnixTimeMilliseconds();
        }

        var (epoch, delivered) = SimulatorSource.ParseCursor(resumed[^1].Cursor!);
        Assert.Equal(resumed[^1].Watermark, delivered);
        var expected = new TrafficSimulation(new SimulatorOptions { ArrivalsPerHour = 400 }, "sim", epoch).AdvanceTo(delivered)
            .Conversations.ToDictionary(c => c.ExternalId, c => c.UpdatedAt.ToUnixTimeMilliseconds());
        Assert.Equal(expected.Count, stored.Count);
        Assert.All(stored, kv => Assert.Equal(expected[kv.Key], kv.Value));
    }

    [Fact]
    public async Task Outage_FailsEveryPollWithHttp5xx_ThenRecovers()
    {
        var settings = new SimulatorSettings { Backfill = "1h", Outages = [new ScenarioSettings { StartAfter = "10m", Duration = "5m" }] };
        var source = new SimulatorSource("sim", settings, _clock);
        var batches = await Drain(source, null);

        _clock.Advance(TimeSpan.FromMinutes(11));
        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, batches[^1].Cursor));
        Assert.Equal(ErrorReasons.Http5xx, ex.Reason);

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.NotEmpty(await Drain(source, batches[^1].Cursor));
    }

    [Fact]
    public async Task Surge_MultipliesArrivals()
    {
        var calm = new SimulatorSource("sim", new SimulatorSettings { Backfill = "1h" }, _clock);
        var surging = new SimulatorSource("sim", new SimulatorSettings { Backfill = "1h", Surges = [new ScenarioSettings { StartAfter = "0s", Duration = "2h", Multiplier = 5 }] }, _clock);
        var calmCursor = (await Drain(calm, null))[^1].Cursor;
        var surgeCursor = (await Drain(surging, null))[^1].Cursor;

        _clock.Advance(TimeSpan.FromHours(1));
        var calmCreated = (await Drain(calm, calmCursor)).SelectMany(b => b.Conversations).Count(c => c.CreatedAt > Records.T0);
        var surgeCreated = (await Drain(surging, surgeCursor)).SelectMany(b => b.Conversations).Count(c => c.CreatedAt > Records.T0);

        Assert.True(surgeCreated > 3 * calmCreated, $"surge {surgeCreated} vs calm {calmCreated}");
    }

    private static async Task<List<SourceBatch>> Drain(ISource source, string? cursor)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }

    private static List<string> Ids(List<SourceBatch> batches) =>
        batches.SelectMany(b => b.Conversations).Select(c => $"{c.ExternalId}@{c.UpdatedAt.ToUnixTimeMilliseconds()}").Order().ToList();
}
