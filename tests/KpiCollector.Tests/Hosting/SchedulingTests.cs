using System.Runtime.CompilerServices;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Tests.Hosting;

/// <summary>Real Quartz scheduling with two sources, one of which throws on every poll.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class SchedulingTests
{
    [Fact]
    public async Task ASourceWhosePollThrows_DoesNotStopTheOtherSourcesPolls()
    {
        var good = new CountingSource("good");
        var bad = new ThrowingSource("bad");
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "good",
            ["KpiCollector:Sources:0:Platform"] = "simulator",
            ["KpiCollector:Sources:0:Interval"] = "1s",
            ["KpiCollector:Sources:1:Name"] = "bad",
            ["KpiCollector:Sources:1:Platform"] = "simulator",
            ["KpiCollector:Sources:1:Interval"] = "1s",
            ["KpiCollector:RefreshInterval"] = "1s",
        };
        await using var host = await CollectorHost.StartAsync(settings, s => s.AddSingleton<ISourceFactory>(new FixedSources(good, bad)));

        await CollectorHost.WaitUntilAsync(() => Task.FromResult(good.Polls >= 4 && bad.Polls >= 4), TimeSpan.FromSeconds(30), "four polls of each source");

        var samples = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(1, samples.Value("kpicollector_source_up", ("source", "good")));
        Assert.Equal(0, samples.Value("kpicollector_source_up", ("source", "bad")));
        Assert.True(samples.Value("kpicollector_source_errors_total", ("source", "bad"), ("reason", "other")) >= 3);
        Assert.Equal(0, samples.Value("kpicollector_source_errors_total", ("source", "good"), ("reason", "other")));
        Assert.Null(samples.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "bad")));
        Assert.True(samples.Value("helpdesk_tickets_created", ("source", "good"), ("channel", "all"), ("window", "1h")) >= 3);
        Assert.Contains("\"ready\":true", await host.GetAsync("/readyz"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedPoll_KeepsTheLastGoodValues()
    {
        var flaky = new CountingSource("flaky") { FailAfter = 2 };
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "flaky",
            ["KpiCollector:Sources:0:Platform"] = "simulator",
            ["KpiCollector:Sources:0:Interval"] = "1s",
            ["KpiCollector:RefreshInterval"] = "1s",
        };
        await using var host = await CollectorHost.StartAsync(settings, s => s.AddSingleton<ISourceFactory>(new FixedSources(flaky)));

        await CollectorHost.WaitUntilAsync(() => Task.FromResult(flaky.Polls >= 4), TimeSpan.FromSeconds(30), "four polls");

        var samples = MetricsText.Parse(await host.GetAsync("/metrics"));
        Assert.Equal(0, samples.Value("kpicollector_source_up", ("source", "flaky")));
        Assert.Equal(2, samples.Value("helpdesk_tickets_created", ("source", "flaky"), ("channel", "all"), ("window", "1h")));
        Assert.NotNull(samples.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "flaky")));
    }

    private sealed class FixedSources(params ISource[] sources) : ISourceFactory
    {
        public IReadOnlyList<ISource> Create(KpiCollectorOptions options) => sources;
    }

    /// <summary>Delivers one new conversation per poll, then (optionally) fails every poll after <see cref="FailAfter"/>.</summary>
    private sealed class CountingSource(string name) : ISource
    {
        private int _polls;

        public string Name => name;

        public string Platform => "simulator";

        public SourceCapabilities Capabilities => SourceCapabilities.None;

        public int Polls => Volatile.Read(ref _polls);

        public int FailAfter { get; init; } = int.MaxValue;

        public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _polls);
            await Task.Yield();
            if (n > FailAfter)
            {
                throw new SourceException(ErrorReasons.Http5xx, "simulated outage");
            }

            var now = DateTimeOffset.UtcNow;
            yield return new SourceBatch
            {
                Conversations = [Records.Conversation($"{name}-{n}", now.AddSeconds(-30), source: name)],
                Cursor = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Watermark = now,
            };
        }
    }

    private sealed class ThrowingSource(string name) : ISource
    {
        private int _polls;

        public string Name => name;

        public string Platform => "simulator";

        public SourceCapabilities Capabilities => SourceCapabilities.None;

        public int Polls => Volatile.Read(ref _polls);

        public IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _polls);
            throw new InvalidOperationException("this source is broken");
        }
    }
}
