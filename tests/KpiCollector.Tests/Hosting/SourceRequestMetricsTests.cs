using System.Runtime.CompilerServices;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Tests.Hosting;

/// <summary>What a source records in its status about its HTTP traffic reaches /metrics.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class SourceRequestMetricsTests
{
    [Trait("Category", "Integration")] // runs Debian's promtool
    [Fact]
    public async Task RequestsByCode_RemainingBudget_AndPlatformVersion_AreExported()
    {
        var source = new TalkativeSource();
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "chat",
            ["KpiCollector:Sources:0:Platform"] = "simulator",
            ["KpiCollector:Sources:0:Interval"] = "1s",
        };
        await using var host = await CollectorHost.StartAsync(settings, s => s.AddSingleton<ISourceFactory>(new OneSource(source)));
        await CollectorHost.WaitUntilAsync(() => Task.FromResult(source.Polls >= 2), TimeSpan.FromSeconds(30), "two polls");
        source.Version = "4.13.0"; // the platform was upgraded
        await CollectorHost.WaitUntilAsync(() => Task.FromResult(source.Polls >= 4), TimeSpan.FromSeconds(30), "two more polls");

        var text = await host.GetAsync("/metrics");
        var samples = MetricsText.Parse(text);
        Assert.True(samples.Value("kpicollector_source_requests_total", ("source", "chat"), ("code", "200")) >= 8);
        Assert.True(samples.Value("kpicollector_source_requests_total", ("source", "chat"), ("code", "429")) >= 4);
        Assert.Equal(17, samples.Value("kpicollector_source_rate_limit_remaining", ("source", "chat")));
        var info = Assert.Single(samples.Find("kpicollector_source_info", ("source", "chat")));
        Assert.Equal("chatwoot", info.Labels["platform"]);
        Assert.Equal("4.13.0", info.Labels["version"]); // the old version's series is gone
        var (exitCode, output) = Promtool.CheckMetrics(text);
        Assert.True(exitCode == 0, output);
    }

    private sealed class OneSource(ISource source) : ISourceFactory
    {
        public IReadOnlyList<ISource> Create(KpiCollectorOptions options) => [source];
    }

    /// <summary>Records two 200s, a 429 and a budget reading per poll, like an HTTP source would.</summary>
    private sealed class TalkativeSource : ISourceWithStatus
    {
        private int _polls;

        public string Name => "chat";

        public string Platform => "chatwoot";

        public SourceCapabilities Capabilities => SourceCapabilities.None;

        public SourceStatus Status { get; } = new("chat", "chatwoot");

        public int Polls => Volatile.Read(ref _polls);

        public volatile string Version = "4.12.1";

        public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            Status.RecordRequest("200");
            Status.RecordRequest("429");
            Status.RecordRequest("200");
            Status.RecordRateLimitRemaining(17);
            Status.RecordPlatformVersion(Version);
            Interlocked.Increment(ref _polls);
            yield return new SourceBatch { Cursor = "c" };
        }
    }
}
