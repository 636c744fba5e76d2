using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.CmCom;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// The built-in <c>cmcom</c> profile against the simulator's CM.com face (its OData API) over HTTP on loopback, on one
/// fake clock: every simulated conversation with its first agent message (internal notes left out), its archiving and
/// its channel, every rating with its conversation's channel; a malformed page applies nothing and is read again after
/// a restart; a 5xx and a 429 are retried after the back-off and the Retry-After.
/// </summary>
public sealed class CmComAgainstSimulatorTests : IAsyncLifetime
{
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

    [Fact]
    public async Task TheProfile_DeliversEverySimulatedConversationAndRating_Mapped()
    {
        using var source = Source();

        var batches = await RestTestProfiles.Drain(source);

        var (expected, csat) = Simulated(T0 - CmComFace.Lag);
        var delivered = batches.SelectMany(b => b.Conversations).GroupBy(c => c.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.True(expected.Count > 100, $"{expected.Count} conversations: the face should hold many");
        Assert.Equal(expected.Keys.Order(), delivered.Keys.Order());
        foreach (var (id, sim) in expected)
        {
            var c = delivered[id];
            var closed = sim.Status is ConversationStatus.Solved or ConversationStatus.Closed;
            var status = sim.Status switch
            {
                ConversationStatus.Pending or ConversationStatus.OnHold => ConversationStatus.Pending,
                _ when closed => ConversationStatus.Closed,
                _ => ConversationStatus.Open,
            };
            var channel = sim.Channel is Channels.Api ? Channels.Other : sim.Channel;
            Assert.Equal((channel, status), (c.Channel, c.Status));
            Assert.Equal(Seconds(sim.CreatedAt), c.CreatedAt);
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstResponseAt); // the internal note before it is not a reply
            Assert.Equal(Seconds(sim.FirstHumanResponseAt), c.FirstHumanResponseAt);
            DateTimeOffset? lastArchive = sim.FirstResolvedAt is { } f ? (sim.ResolvedAt > f ? sim.ResolvedAt : f) : sim.ResolvedAt ?? sim.ClosedAt ?? sim.UpdatedAt;
            Assert.Equal(closed ? Seconds(lastArchive) : null, c.ResolvedAt);
            Assert.Equal(closed ? Seconds(lastArchive) : null, c.ClosedAt);
            Assert.Equal(Seconds(sim.FirstResolvedAt ?? (closed ? lastArchive : null)), c.FirstResolvedAt);
            Assert.Null(c.Priority); // CM.com has none
            Assert.Null(c.Reopens);
        }

        var surveys = batches.SelectMany(b => b.Surveys).GroupBy(s => s.ExternalId).ToDictionary(g => g.Key, g => g.Single());
        Assert.True(csat.Count > 10, $"{csat.Count} answered CSAT surveys");
        Assert.Equal(csat.Count, surveys.Count);
        var byConversation = surveys.Values.ToDictionary(s => s.ConversationId!);
        foreach (var (id, answer) in csat)
        {
            var s = byConversation[id];
            Assert.Equal(answer.Score >= 4 ? 5 : answer.Score >= 3 ? 3 : 1, s.Score);
            Assert.Equal((1.0, 5.0, SurveyKind.Csat), (s.ScaleMin, s.ScaleMax, s.Kind));
            Assert.Equal(Seconds(answer.RespondedAt), s.RespondedAt);
            Assert.Equal(delivered[id].Channel, s.Channel);
        }

        Assert.Contains(delivered.Values, c => c.Channel == Channels.WhatsApp);
        Assert.Equal(T0 - TimeSpan.FromSeconds(10), batches.Last().Watermark);
    }

    [Fact]
    public async Task AMalformedPageMidBackfill_FailsWithParse_AppliesNothingOfIt_AndARestartReadsItAgain()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var face = _simulator.Service<CmComFace>();
        var applied = new HashSet<string>();
        using (var first = Source(top: 50))
        {
            var failure = await Assert.ThrowsAsync<SourceException>(async () =>
            {
                var pages = 0;
                await foreach (var batch in first.PollAsync(null, CancellationToken.None))
                {
                    store.Apply("cm", batch, _clock.GetUtcNow());
                    applied.UnionWith(batch.Conversations.Select(c => c.ExternalId));
                    if (++pages == 2)
                    {
                        face.Faults.Arm(new Fault(FaultKind.Malformed, 1, 500, TimeSpan.Zero, TimeSpan.Zero)); // the third page
                    }
                }
            });
            Assert.Equal(ErrorReasons.Parse, failure.Reason);
        }

        Assert.Equal(100, applied.Count);
        Assert.Equal(applied.Order(), store.ReadConversations().Select(c => c.ExternalId).Order()); // nothing of the broken page

        using (var restarted = Source(top: 50))
        {
            await foreach (var batch in restarted.PollAsync(store.GetCheckpoint("cm")!.Cursor, CancellationToken.None))
            {
                store.Apply("cm", batch, _clock.GetUtcNow());
            }
        }

        var (expected, _) = Simulated(T0 - CmComFace.Lag);
        Assert.Equal(expected.Keys.Order(), store.ReadConversations().Select(c => c.ExternalId).Order());
    }

    [Fact]
    public async Task A5xxAndA429_AreRetried_AfterTheBackOffAndTheRetryAfterTheFaceAsks_AndThePollCompletes()
    {
        var face = _simulator.Service<CmComFace>();
        face.Faults.Arm(new Fault(FaultKind.ServerError, 1, 502, TimeSpan.Zero, TimeSpan.Zero));
        face.Faults.Arm(new Fault(FaultKind.RateLimit, 1, 500, TimeSpan.FromSeconds(9), TimeSpan.Zero));
        using var source = Source(maxRetries: 2);

        var drain = RestTestProfiles.Drain(source);
        var backoff = await _clock.WaitForTimerAsync(TimeSpan.FromSeconds(1)); // the first back-off, at full jitter
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(backoff.HasFired);
        var retryAfter = await _clock.WaitForTimerAsync(TimeSpan.FromSeconds(9)); // the Retry-After the 429 carried
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.True(retryAfter.HasFired);
        var batches = await drain.WaitAsync(TimeSpan.FromSeconds(30));

        var (expected, _) = Simulated(_clock.GetUtcNow() - CmComFace.Lag);
        Assert.Equal(expected.Keys.Order(), batches.SelectMany(b => b.Conversations).Select(c => c.ExternalId).Distinct().Order());
    }

    /// <param name="top">A page size below the API's 1,000 (sent as <c>$top</c>), to read a backfill in many pages.</param>
    private RestSource Source(int? top = null, int maxRetries = 0)
    {
        var settings = new RestSettings { Profile = "cmcom", Variables = new() { ["api_key"] = "simulator-cmcom-key" } };
        if (top is { } t)
        {
            var profile = RestProfileLoader.BuiltInText("cmcom")!.Replace(
                "      $orderby: \"CreationDateTime\"\n    record_selector: \"$.value\"\n    paginator:\n      type: next_url",
                $"      $orderby: \"CreationDateTime\"\n      $top: \"{t}\"\n    record_selector: \"$.value\"\n    paginator:\n      type: next_url",
                StringComparison.Ordinal);
            Assert.Contains("$top", profile, StringComparison.Ordinal);
            settings.Profile = RestTestProfiles.Write(profile);
        }

        return new RestSource(new SourceOptions
        {
            Name = "cm",
            Platform = "rest",
            BaseUrl = _simulator.BaseUrl("cmcom"),
            ApiToken = "simulator-cmcom-secret",
            Backfill = "6h",
            Timeout = "10s",
            RequestsPerMinute = 100_000,
            MaxRetries = maxRetries,
        }, 0, settings, _clock, NullLogger<RestSource>.Instance, jitter: new FullJitter());
    }

    /// <summary>The latest version of every simulated conversation up to <paramref name="until"/> by its CM.com key, and the answered CSAT surveys by that key.</summary>
    private static (Dictionary<string, Conversation> Conversations, Dictionary<string, SurveyResponse> Csat) Simulated(DateTimeOffset until)
    {
        var simulation = new TrafficSimulation(new SimulatorAppOptions().ToModel(), "x", T0.AddHours(-6));
        var delta = simulation.AdvanceTo(until);
        var latest = new Dictionary<string, Conversation>();
        foreach (var c in delta.Conversations)
        {
            latest[Key(c.ExternalId)] = c;
        }

        var csat = new Dictionary<string, SurveyResponse>();
        foreach (var s in delta.Surveys.Where(s => s.Kind == SurveyKind.Csat && s.ConversationId is not null))
        {
            csat[Key(s.ConversationId!)] = s;
        }

        return (latest, csat.Where(kv => kv.Value.Score is not null).ToDictionary());
    }

    private static string Key(string externalId) =>
        string.Create(CultureInfo.InvariantCulture, $"0063{0:x4}-0000-4000-8000-{long.Parse(externalId.AsSpan(4), CultureInfo.InvariantCulture):x12}");

    private sealed class FullJitter : Random
    {
        public override double NextDouble() => 1.0;
    }

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static DateTimeOffset? Seconds(DateTimeOffset? at) => at is { } a ? Seconds(a) : null;
}
