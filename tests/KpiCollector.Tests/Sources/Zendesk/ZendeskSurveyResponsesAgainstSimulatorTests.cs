using System.Globalization;
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
/// The real connector, on its default <c>Zendesk:Csat</c> (<c>auto</c>), against the simulator's Zendesk face on an
/// account that runs the newer CSAT (<c>Simulator:Zendesk:Csat=survey_responses</c>), over HTTP on one fake clock.
/// </summary>
public sealed class ZendeskSurveyResponsesAgainstSimulatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() =>
        _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h", "Simulator:Zendesk:Csat=survey_responses");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Auto_FindsSurveyResponses_AndTheirCsatIsTheSimulationsForTheSamePeriod()
    {
        using var source = Source();

        var surveys = (await Drain(source, null)).SelectMany(b => b.Surveys).ToList();

        var simulated = AnsweredCsat(T0 - ZendeskSource.ExportLag);
        Assert.True(simulated.Count > 20, $"{simulated.Count} answered CSAT surveys: the test is meant to page");
        Assert.Equal(simulated.Count, surveys.Count);
        Assert.Equal(surveys.Count, surveys.Select(s => s.ExternalId).Distinct().Count());
        Assert.Equal(simulated.ToDictionary(s => Ticket(s.ConversationId!), s => (s.Score, s.RespondedAt, s.Channel)), surveys.ToDictionary(s => s.ConversationId!, s => (s.Score, s.RespondedAt, s.Channel)));
        Assert.All(surveys, s => Assert.Equal((SurveyKind.Csat, 1.0, 5.0), (s.Kind, s.ScaleMin, s.ScaleMax)));
        Assert.Equal(simulated.Count(s => s.Score >= 4), surveys.Count(s => s.Score >= 4)); // the same CSAT ratio
    }

    [Fact]
    public async Task ARestartWithTheSavedCursor_StoresEveryResponseOnce_AndLosesNone()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        using (var first = Source())
        {
            await PollInto(store, first);
        }

        Assert.Contains("\"surveys_since\":", store.GetCheckpoint("zd")!.Cursor, StringComparison.Ordinal);
        _clock.Advance(TimeSpan.FromMinutes(90)); // more answers meanwhile
        var second = new List<SurveyResponse>();
        using (var restarted = Source())
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("zd")!.Cursor, CancellationToken.None))
            {
                store.Apply("zd", batch, _clock.GetUtcNow());
                second.AddRange(batch.Surveys);
            }
        }

        var expected = AnsweredCsat(T0 + TimeSpan.FromMinutes(89));
        var stored = store.ReadSurveys().ToList();
        Assert.Equal(expected.Count, stored.Count);
        Assert.Equal(expected.Select(s => Ticket(s.ConversationId!)).Order(), stored.Select(s => s.ConversationId!).Order()); // each ticket's answer once
        Assert.NotEmpty(second);
        Assert.All(second, s => Assert.True(s.RespondedAt >= T0 - TimeSpan.FromHours(2), $"{s.ExternalId} at {s.RespondedAt:u} was read again from long before the saved position"));
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
        Settings = new ZendeskSettings { PerPage = 200, ExportRequestsPerMinute = 1000 },
    }, 0, _clock, NullLogger<ZendeskSource>.Instance);

    /// <summary>The simulation's answered CSAT surveys up to <paramref name="until"/>, as the face's account holds them.</summary>
    private static List<SurveyResponse> AnsweredCsat(DateTimeOffset until) =>
        [.. new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6)).AdvanceTo(until).Surveys.Where(s => s.Kind == SurveyKind.Csat && s.Score is not null)];

    private static string Ticket(string conversationId) =>
        int.Parse(conversationId.AsSpan(4), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    private async Task PollInto(SqliteStore store, ISource source)
    {
        await foreach (var batch in source.PollAsync(store.GetCheckpoint(source.Name)?.Cursor, CancellationToken.None))
        {
            store.Apply(source.Name, batch, _clock.GetUtcNow());
        }
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
}
