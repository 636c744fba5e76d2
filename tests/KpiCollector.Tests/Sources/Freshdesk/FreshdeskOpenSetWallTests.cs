using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using FreshdeskFace = KpiCollector.Simulator.Faces.Freshdesk.FreshdeskFace;

namespace KpiCollector.Tests.Sources.Freshdesk;

/// <summary>
/// Freshdesk's search answers at most 10 pages of 30: the open set of an account with more than 300 open tickets is
/// listed by creation-day ranges, and a single day with more than 300 is the wall, where the listing is incomplete and
/// must drop nothing. Against the simulator's Freshdesk face, whose emails all sit unseen for days.
/// </summary>
public sealed class FreshdeskOpenSetWallTests : IDisposable
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private readonly LogCapture _logs = new();

    public void Dispose()
    {
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task MoreThan300OpenTickets_AreListedByCreationDay_AndAllCounted()
    {
        var model = new SimulatorAppOptions { ArrivalsPerHour = 40, StrandedShare = 1, StrandedFor = "10d" };
        await using var simulator = await Start(model, "4d");
        using var store = Store();
        using var source = Source(simulator, store, "1d");

        await Poll(source, store);

        var open = Truth(model, TimeSpan.FromDays(4)).Where(c => !c.Status.IsEnded()).ToList();
        Assert.True(open.Count > FreshdeskSource.SearchPageSize * FreshdeskSource.SearchMaxPages, $"{open.Count} open tickets: the test needs more than one search can list");
        Assert.True(open.GroupBy(c => DateOnly.FromDateTime(c.CreatedAt.UtcDateTime)).Max(g => g.Count()) <= 300, "no single day may pass the wall here");
        Assert.Equal(open.Select(c => Id(c.ExternalId)).Order(), store.OpenConversations("fd").Keys.Order());
        Assert.DoesNotContain(_logs.Entries, e => e.Message.Contains("open set listing stopped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADayWithMoreThan300OpenTickets_IsTheWall_TheListingDropsNothing()
    {
        var model = new SimulatorAppOptions { ArrivalsPerHour = 400, StrandedShare = 1, StrandedFor = "10d" };
        await using var simulator = await Start(model, "2d");
        var open = Truth(model, TimeSpan.FromDays(2)).Where(c => !c.Status.IsEnded()).ToList();
        Assert.True(open.GroupBy(c => DateOnly.FromDateTime(c.CreatedAt.UtcDateTime)).Max(g => g.Count()) > 300, "the test needs a day past the wall");
        using var store = Store();
        using var source = Source(simulator, store, "1h");

        // Held as open, but the platform no longer has it: a complete listing would close it.
        var ghost = new Conversation { Source = "fd", ExternalId = "999999", Status = ConversationStatus.Open, CreatedAt = T0.AddDays(-1), UpdatedAt = T0.AddDays(-1) };
        store.Apply("fd", new SourceBatch { Conversations = [ghost], Cursor = "set by the test" }, T0);

        await Poll(source, store, firstPoll: true); // the saved cursor is the test's: poll as a first poll

        Assert.Contains("999999", store.OpenConversations("fd").Keys);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("open set listing stopped", StringComparison.Ordinal)
            && e.Message.Contains("Freshdesk's search stops at 10 pages of 30", StringComparison.Ordinal));
        Assert.True(store.OpenConversations("fd").Count > 300, "what the walled listing did reach is stored");
    }

    private static async Task<SimulatorHost> Start(SimulatorAppOptions model, string history) => await SimulatorHost.StartAsync(
        new FakeTimeProvider(T0),
        $"Simulator:Backfill={history}",
        $"Simulator:ArrivalsPerHour={model.ArrivalsPerHour.ToString(CultureInfo.InvariantCulture)}",
        $"Simulator:StrandedShare={model.StrandedShare.ToString(CultureInfo.InvariantCulture)}",
        $"Simulator:StrandedFor={model.StrandedFor}",
        "Simulator:Freshdesk:RequestsPerMinute=100000");

    private async Task Poll(FreshdeskSource source, SqliteStore store, bool firstPoll = false)
    {
        var cursor = firstPoll ? null : store.GetCheckpoint("fd")?.Cursor;
        await foreach (var batch in source.PollAsync(cursor, CancellationToken.None))
        {
            store.Apply("fd", batch, _clock.GetUtcNow());
        }
    }

    private SqliteStore Store()
    {
        var store = new SqliteStore(_dir.File($"{Guid.NewGuid():N}.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }

    private FreshdeskSource Source(SimulatorHost simulator, SqliteStore store, string backfill) => new(new SourceOptions
    {
        Name = "fd",
        Platform = FreshdeskPlatform.Id,
        BaseUrl = simulator.BaseUrl("freshdesk"),
        ApiToken = "simulator-freshdesk-key",
        Backfill = backfill,
        Timeout = "10s",
        MaxRetries = 0,
        RequestsPerMinute = 100_000,
        Settings = new FreshdeskSettings { TicketsRequestsPerMinute = 10_000, Csat = false },
    }, 0, _clock, _logs.For<FreshdeskSource>(), openSet: store);

    /// <summary>The latest version of every simulated conversation up to the face's horizon, stepping an hour at a time as the face does.</summary>
    private static List<Conversation> Truth(SimulatorAppOptions model, TimeSpan history)
    {
        var epoch = T0 - history;
        var until = T0 - FreshdeskFace.Lag;
        var simulation = new TrafficSimulation(model.ToModel(), "x", epoch);
        var latest = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        for (var t = epoch; t < until;)
        {
            t = t + TimeSpan.FromHours(1) < until ? t + TimeSpan.FromHours(1) : until;
            foreach (var c in simulation.AdvanceTo(t).Conversations)
            {
                latest[c.ExternalId] = c;
            }
        }

        return [.. latest.Values];
    }

    private static string Id(string simulated) =>
        int.Parse(simulated.AsSpan(4), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
}
