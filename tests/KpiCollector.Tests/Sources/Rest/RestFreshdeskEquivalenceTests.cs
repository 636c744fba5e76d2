using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Sources;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Rest;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// Proof of expressiveness: the coded Freshdesk connector and RestSource with the built-in <c>freshdesk</c> profile read
/// the same simulator face on loopback, on one fake clock, and deliver the same normalized records, field by field.
/// </summary>
public sealed class RestFreshdeskEquivalenceTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h", "Simulator:Freshdesk:RequestsPerMinute=100000");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Theory]
    [InlineData(100)]
    [InlineData(7)]
    public async Task TheFreshdeskProfile_DeliversTheCodedConnectorsRecords_FieldByField(int perPage)
    {
        using var coded = new FreshdeskSource(Options(), 0, _clock, NullLogger<FreshdeskSource>.Instance) as IDisposable;
        var expected = await Drain((ISource)coded!);
        using var rest = new RestSource(Options(), 0, Settings(perPage), _clock, NullLogger<RestSource>.Instance);
        var actual = await Drain(rest);

        var expectedConversations = Latest(expected.SelectMany(b => b.Conversations), c => c.ExternalId);
        var actualConversations = Latest(actual.SelectMany(b => b.Conversations), c => c.ExternalId);
        Assert.True(expectedConversations.Count > 20, $"{expectedConversations.Count} tickets: the face should hold many");
        Assert.Equal(expectedConversations.Keys.Order(), actualConversations.Keys.Order());
        foreach (var (id, c) in expectedConversations)
        {
            Assert.Equal(c, actualConversations[id]); // records compare every field
        }

        var expectedSurveys = Latest(expected.SelectMany(b => b.Surveys), s => s.ExternalId);
        var actualSurveys = Latest(actual.SelectMany(b => b.Surveys), s => s.ExternalId);
        Assert.NotEmpty(expectedSurveys);
        Assert.Equal(expectedSurveys.Keys.Order(), actualSurveys.Keys.Order());
        foreach (var (id, s) in expectedSurveys)
        {
            Assert.Equal(s, actualSurveys[id]);
        }

        Assert.Equal(expected.Last().Watermark, actual.Last().Watermark);
        Assert.Contains(actualConversations.Values, c => c.Channel == Channels.Sms); // through the per-account map
    }

    private static RestSettings Settings(int perPage)
    {
        var profile = RestProfileLoader.BuiltInText("freshdesk")!.Replace("page_size: 100\n      max_page", $"page_size: {perPage}\n      max_page", StringComparison.Ordinal);
        var file = Path.Combine(Path.GetTempPath(), $"freshdesk-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, profile);
        return new RestSettings
        {
            Profile = perPage == 100 ? "freshdesk" : file,
            Variables = new() { ["subdomain"] = "unused" },
            Maps = new()
            {
                ["status"] = new() { ["6"] = "pending", ["7"] = "on_hold" },
                ["channel"] = new() { ["101"] = "sms", ["11"] = "other" },
            },
        };
    }

    private SourceOptions Options() => new()
    {
        Name = "fd",
        Platform = FreshdeskPlatform.Id,
        BaseUrl = _simulator.BaseUrl("freshdesk"),
        ApiToken = "simulator-freshdesk-key",
        Backfill = "6h",
        Timeout = "10s",
        RequestsPerMinute = 100_000,
        Settings = new FreshdeskSettings { PerPage = 100, TicketsRequestsPerMinute = 10_000 },
    };

    private static Dictionary<string, T> Latest<T>(IEnumerable<T> records, Func<T, string> id) =>
        records.GroupBy(id).ToDictionary(g => g.Key, g => g.Last());

    private static async Task<List<SourceBatch>> Drain(ISource source)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(null, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }
}
