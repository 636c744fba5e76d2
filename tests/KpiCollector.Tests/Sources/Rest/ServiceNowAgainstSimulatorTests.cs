using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.ServiceNow;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// The built-in <c>servicenow</c> profile against the simulator's ServiceNow face (the Table API) over HTTP on
/// loopback, on one fake clock: every simulated incident (or CSM case) with its state, channel, priority, group,
/// assignee, resolution, close and reopen count mapped, its first response from the joined response SLA, through
/// short pages too; every CSAT answer with its task's channel, also when the task was read by another process (the
/// lookup); and a malformed page mid-backfill applies nothing and is read again after a restart.
/// </summary>
public sealed class ServiceNowAgainstSimulatorTests : IAsyncLifetime
{
    public const string Password = "simulator-servicenow-password";
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly TimerWatchingClock _clock = new(T0);
    private readonly TempDirectory _dir = new();
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(ServiceNowFace.Incident, 200)]
    [InlineData(ServiceNowFace.Incident, 7)]
    [InlineData(ServiceNowFace.Case, 200)]
    public async Task TheProfile_DeliversEverySimulatedTaskAndAnswer_WithTheResponseSlaJoined(string table, int pageSize)
    {
        using var source = Source(table, pageSize);

        var batches = await RestTestProfiles.Drain(source);

        var (expected, csat) = Simulated(T0 - ServiceNowFace.Lag);
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.True(expected.Count > 100, $"{expected.Count} tasks: the face should hold many");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            var status = sim.Status switch
            {
                ConversationStatus.Pending or ConversationStatus.OnHold => table == ServiceNowFace.Case ? ConversationStatus.Pending : ConversationStatus.OnHold,
                var s => s,
            };
            Assert.Equal((sim.Channel, status), (c.Channel, c.Status));
            Assert.Equal((Seconds(sim.CreatedAt), Seconds(sim.UpdatedAt)), (c.CreatedAt, c.UpdatedAt));
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstResponseAt); // from the joined response SLA
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            Assert.Equal(sim.FirstHumanResponseAt is null ? null : ResponderKind.Human, c.FirstResponderKind);
            var resolved = sim.Status is ConversationStatus.Solved or ConversationStatus.Closed ? sim.ResolvedAt ?? sim.ClosedAt : null;
            Assert.Equal(Seconds(resolved), c.ResolvedAt);
            Assert.Equal(sim.Status == ConversationStatus.Closed ? Seconds(sim.ClosedAt ?? sim.ResolvedAt) : null, c.ClosedAt);
            Assert.Equal(sim.Priority == "normal" ? "medium" : sim.Priority, c.Priority);
            Assert.Equal(sim.Reopens ?? 0, c.Reopens);
            Assert.Equal(sim.AssigneeId is { } a ? ServiceNowFace.SysId('u', FaceResponses.Number(a)!.Value) : null, c.AssigneeId);
        }

        Assert.Contains(delivered.Values, c => c.Team == "Billing");
        Assert.Contains(delivered.Values, c => c.FirstResponseAt is not null);
        Assert.Contains(delivered.Values, c => c.Channel == Channels.WhatsApp);
        var surveys = batches.SelectMany(b => b.Surveys).GroupBy(s => s.ExternalId).Select(g => g.Last()).ToList(); // short pages overlap
        Assert.True(csat.Count > 10, $"{csat.Count} answered CSAT surveys");
        Assert.Equal(csat.Select(s => (Key(s.ConversationId!), s.Score, Seconds(s.RespondedAt))).Order(), surveys.Select(s => (s.ConversationId!, s.Score, s.RespondedAt)).Order());
        Assert.All(surveys, s => Assert.Equal((delivered[s.ConversationId!].Channel, SurveyKind.Csat, 1.0, 5.0), (s.Channel, s.Kind, s.ScaleMin, s.ScaleMax)));
        Assert.Equal(T0 - TimeSpan.FromSeconds(10), batches.Last().Watermark);
    }

    [Fact]
    public async Task AnAnswerWhoseTaskThisProcessHasNotRead_GetsTheTasksChannel_ThroughTheLookup()
    {
        string cursor;
        using (var first = Source(ServiceNowFace.Incident, 200))
        {
            cursor = (await RestTestProfiles.Drain(first)).Last().Cursor;
        }

        _clock.Advance(TimeSpan.FromHours(2));
        using var restarted = Source(ServiceNowFace.Incident, 200);
        var batches = await RestTestProfiles.Drain(restarted, cursor);

        var (expected, _) = Simulated(_clock.GetUtcNow() - ServiceNowFace.Lag);
        var read = batches.SelectMany(b => b.Conversations).Select(c => c.ExternalId).ToHashSet();
        var surveys = batches.SelectMany(b => b.Surveys).ToList();
        Assert.Contains(surveys, s => !read.Contains(s.ConversationId!)); // answers about tasks not changed since: looked up
        Assert.All(surveys, s => Assert.Equal(expected[s.ConversationId!].Channel, s.Channel));
    }

    [Fact]
    public async Task AMalformedPageMidBackfill_FailsWithParse_AppliesNothingOfIt_AndARestartReadsItAgain()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var face = _simulator.Service<ServiceNowFace>();
        var applied = new HashSet<string>();
        var pages = 0;
        using (var first = Source(ServiceNowFace.Incident, 20))
        {
            var failure = await Assert.ThrowsAsync<SourceException>(async () =>
            {
                await foreach (var batch in first.PollAsync(null, CancellationToken.None))
                {
                    store.Apply("sn", batch, _clock.GetUtcNow());
                    applied.UnionWith(batch.Conversations.Select(c => c.ExternalId));
                    if (++pages == 2)
                    {
                        face.Faults.Arm(new Fault(FaultKind.Malformed, 1, 500, TimeSpan.Zero, TimeSpan.Zero)); // the third page
                    }
                }
            });
            Assert.Equal(ErrorReasons.Parse, failure.Reason);
        }

        Assert.Equal(2, pages);
        Assert.Equal(applied.Order(), store.ReadConversations().Select(c => c.ExternalId).Order()); // nothing of the broken page

        using (var restarted = Source(ServiceNowFace.Incident, 20))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("sn")!.Cursor, CancellationToken.None))
            {
                store.Apply("sn", batch, _clock.GetUtcNow());
            }
        }

        var (expected, _) = Simulated(T0 - ServiceNowFace.Lag);
        Assert.Equal(expected.Keys.Order(), store.ReadConversations().Select(c => c.ExternalId).Order());
        Assert.Equal(expected.Values.Count(c => c.FirstHumanResponseAt is not null), store.ReadConversations().Count(c => c.FirstResponseAt is not null));
    }

    private RestSource Source(string table, int pageSize)
    {
        var profile = RestProfileLoader.BuiltInText("servicenow")!.Replace("      page_size: 200\n      stop: short_page\n    incremental:\n      param: sysparm_query\n      template: \"sys_updated_on", $"      page_size: {pageSize}\n      stop: short_page\n    incremental:\n      param: sysparm_query\n      template: \"sys_updated_on", StringComparison.Ordinal);
        Assert.Equal(pageSize == 200, profile == RestProfileLoader.BuiltInText("servicenow"));
        return new RestSource(new SourceOptions
        {
            Name = "sn",
            Platform = "rest",
            BaseUrl = _simulator.BaseUrl("servicenow"),
            Email = "simulator",
            ApiToken = Password,
            Backfill = "6h",
            Timeout = "10s",
            RequestsPerMinute = 100_000,
            MaxRetries = 0,
        }, 0, new RestSettings
        {
            Profile = pageSize == 200 ? "servicenow" : RestTestProfiles.Write(profile),
            Variables = new() { ["instance"] = "dev00000", ["table"] = table },
        }, _clock, NullLogger<RestSource>.Instance);
    }

    /// <summary>The latest version of every simulated conversation up to <paramref name="until"/> by its sys_id, and every answered CSAT survey of one.</summary>
    private static (Dictionary<string, Conversation> Conversations, List<SurveyResponse> Csat) Simulated(DateTimeOffset until)
    {
        var simulation = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6));
        var delta = simulation.AdvanceTo(until);
        var latest = new Dictionary<string, Conversation>();
        foreach (var c in delta.Conversations)
        {
            latest[Key(c.ExternalId)] = c;
        }

        var csat = delta.Surveys.Where(s => s.Kind == SurveyKind.Csat && s.Score is not null && s.ConversationId is { } id && latest.ContainsKey(Key(id))).ToList();
        return (latest, csat);
    }

    private static string Key(string externalId) => ServiceNowFace.SysId('t', long.Parse(externalId.AsSpan(4), CultureInfo.InvariantCulture));

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static DateTimeOffset? Seconds(DateTimeOffset? at) => at is { } a ? Seconds(a) : null;
}
