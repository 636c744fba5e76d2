using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.EDesk;
using KpiCollector.Sources.EDesk;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.EDesk;

/// <summary>
/// The eDesk connector's open set against the simulator's face, on one fake clock: fourteen days of history in which
/// some e-mails sit unseen for days (open, unanswered, no message since), read with a ten-day backfill. The date filter
/// cannot see the oldest of them; the reconciliation must, and must drop a ticket eDesk no longer has.
/// </summary>
public sealed class EDeskOpenSetAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(
        _clock,
        "Simulator:Backfill=14d",
        "Simulator:ArrivalsPerHour=6",
        "Simulator:StrandedShare=0.3",
        "Simulator:StrandedFor=30d",
        "Simulator:EDesk:RequestsPerSecond=100000",
        "Simulator:EDesk:Burst=100000");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ATenDayBackfill_OverFourteenDays_FindsEveryOpenTicket_AndTheNextReconciliationDropsADeletedOne()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        using var source = Source(store);
        var face = _simulator.Service<EDeskFace>();

        await PollAsync(source, store);

        var open = face.Helpdesk.Latest().Where(c => !c.Status.IsEnded()).ToList();
        // The point of the test: open tickets whose last message is older than the backfill's first day.
        Assert.Contains(open, c => face.LastUpdatedAt(c) < T0 - TimeSpan.FromDays(11));
        Assert.Equal(open.Select(c => Id(c.ExternalId)).Order(), store.OpenConversations("ed").Keys.Order());

        var deleted = open.Where(c => face.LastUpdatedAt(c) < T0 - TimeSpan.FromDays(11)).OrderBy(c => c.CreatedAt).First();
        Assert.True(face.Helpdesk.Delete(deleted.ExternalId));
        _clock.Advance(TimeSpan.FromHours(1));
        var reconciledAt = _clock.GetUtcNow();
        await PollAsync(source, store);

        var gone = store.ReadConversations().Single(c => c.Source == "ed" && c.ExternalId == Id(deleted.ExternalId));
        Assert.Equal((ConversationStatus.Closed, reconciledAt), (gone.Status, gone.ClosedAt));
        var now = face.Helpdesk.Latest().Where(c => !c.Status.IsEnded()).Select(c => Id(c.ExternalId)).Order();
        Assert.Equal(now, store.OpenConversations("ed").Keys.Order());
    }

    private async Task PollAsync(EDeskSource source, SqliteStore store)
    {
        await foreach (var batch in source.PollAsync(store.GetCheckpoint(source.Name)?.Cursor, CancellationToken.None))
        {
            store.Apply(source.Name, batch, _clock.GetUtcNow());
        }
    }

    private static string Id(string simId) => FaceResponses.Number(simId)!.Value.ToString(CultureInfo.InvariantCulture);

    private EDeskSource Source(SqliteStore store) => new(new SourceOptions
    {
        Name = "ed",
        Platform = EDeskPlatform.Id,
        BaseUrl = _simulator.BaseUrl("edesk"),
        ApiToken = "simulator-edesk-token",
        Backfill = "10d",
        Timeout = "10s",
        MaxRetries = 0,
        RequestsPerMinute = 100_000,
        Settings = new EDeskSettings { TimeZone = "America/New_York", MessagesPerPoll = 100_000 },
    }, 0, _clock, NullLogger<EDeskSource>.Instance, openSet: store);
}
