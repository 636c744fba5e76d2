using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using KpiCollector.Core.Records;
using KpiCollector.Hosting;
using KpiCollector.Pipeline;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Benchmarks;

/// <summary>
/// The webhook goal (docs/performance.md, "Webhook throughput"): the real collector on a loopback port with one
/// WhatsApp source, a closed-loop load generator of <c>concurrency</c> senders posting signed, distinct deliveries for
/// <c>seconds</c>, and beside them a poll committing pages of 1,000 conversation updates through the ingest pipeline.
/// Reports the acknowledged rate, the latency percentiles, the refusals, and the lost deliveries: acknowledged (200)
/// but not in the inbox afterwards. Also <c>scrape</c>: <c>/metrics</c> latency idle and while a page commit holds the
/// store.
/// </summary>
public static class WebhookLoad
{
    private const string AppSecret = "bench-app-secret";
    private const string PhoneNumberId = "106540352242922";

    /// <summary><c>webhooks [seconds] [concurrency] [page gap in ms, -1 for no poll]</c>.</summary>
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
        var pageGap = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
        Console.WriteLine($"load average at start: {LoadAverage()}; {seconds} s, {concurrency} senders, poll: {(pageGap < 0 ? "none" : $"a page of 1,000 conversations every {pageGap} ms after the last commit")}");

        var dir = Directory.CreateTempSubdirectory("kpi-bench-webhooks").FullName;
        try
        {
            await using var app = await StartAsync(dir, concurrency);
            var store = app.Services.GetRequiredService<SqliteStore>();
            var pipeline = app.Services.GetRequiredService<IngestPipeline>();
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                BaseAddress = Address(app),
                Timeout = TimeSpan.FromSeconds(30),
            };

            using var stop = new CancellationTokenSource();
            var poll = pageGap < 0 ? Task.FromResult(new List<double>()) : Task.Run(() => Poll(pipeline, pageGap, stop.Token));
            var clock = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(seconds);
            var senders = Enumerable.Range(0, concurrency).Select(w => Task.Run(() => SendAsync(http, w, clock, deadline))).ToArray();
            var results = await Task.WhenAll(senders);
            var elapsed = clock.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            var pages = await poll;

            var acknowledged = results.SelectMany(r => r.Acknowledged).ToList();
            var latencies = results.SelectMany(r => r.Latencies).Order().ToArray();
            var refused = results.Sum(r => r.Refused);
            var stored = StoredIds(store);
            var lost = acknowledged.Count(id => !stored.Contains(id));

            Console.WriteLine($"sent {latencies.Length + results.Sum(r => r.Failed):N0}, acknowledged {acknowledged.Count:N0} in {elapsed:F1} s: {acknowledged.Count / elapsed:N0} deliveries/s");
            Console.WriteLine($"latency ms: p50 {Percentile(latencies, 0.50):F1}, p90 {Percentile(latencies, 0.90):F1}, p99 {Percentile(latencies, 0.99):F1}, max {latencies.LastOrDefault():F1}");
            Console.WriteLine($"refused (not 200): {refused:N0}; failed (no answer): {results.Sum(r => r.Failed):N0}; lost (200 but not in the inbox): {lost:N0}");
            var sorted = pages.Order().ToArray();
            Console.WriteLine($"poll: {pages.Count:N0} pages committed ({pages.Count * 1000:N0} conversation updates), page ms p50 {Percentile(sorted, 0.5):F1}, max {sorted.LastOrDefault():F1}");
            Console.WriteLine($"load average at end: {LoadAverage()}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary><c>scrape [scrapes]</c>: <c>/metrics</c> latency idle, then while a page commit holds the store's lock.</summary>
    public static async Task ScrapeAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        Console.WriteLine($"load average at start: {LoadAverage()}");
        var dir = Directory.CreateTempSubdirectory("kpi-bench-scrape").FullName;
        try
        {
            await using var app = await StartAsync(dir, 8);
            var store = app.Services.GetRequiredService<SqliteStore>();
            var pipeline = app.Services.GetRequiredService<IngestPipeline>();
            using var http = new HttpClient { BaseAddress = Address(app) };
            var pages = Pages().Take(20).ToList();
            foreach (var page in pages.Take(10))
            {
                pipeline.Ingest("north", page);
            }

            await ScrapesAsync(http, 20); // warm-up
            var idle = await ScrapesAsync(http, count);

            using var inCommit = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            var held = Task.Run(() => store.Apply("north", pages[10], DateTimeOffset.UtcNow, _ =>
            {
                inCommit.Set();
                release.Wait();
                return [];
            }));
            inCommit.Wait();
            var during = await ScrapesAsync(http, count);
            release.Set();
            await held;

            Console.WriteLine($"/metrics ms, idle:              p50 {Percentile(idle, 0.5):F2}, p99 {Percentile(idle, 0.99):F2}, max {idle[^1]:F2} ({count} scrapes)");
            Console.WriteLine($"/metrics ms, during a commit:   p50 {Percentile(during, 0.5):F2}, p99 {Percentile(during, 0.99):F2}, max {during[^1]:F2} ({count} scrapes, the commit held open throughout)");
            Console.WriteLine($"load average at end: {LoadAverage()}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<double[]> ScrapesAsync(HttpClient http, int count)
    {
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var t = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync("/metrics");
            _ = await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        Array.Sort(times);
        return times;
    }

    internal static async Task<StartedCollector> StartAsync(string dir, int concurrency)
    {
        var app = KpiCollectorApp.Build(
        [
            "--urls=http://127.0.0.1:0",
            $"--KpiCollector:Store:Path={Path.Combine(dir, "store.db")}",
            "--Logging:LogLevel:Default=Warning",
            "--KpiCollector:Sources:0:Name=wa",
            "--KpiCollector:Sources:0:Platform=whatsapp",
            "--KpiCollector:Sources:0:Interval=1s",
            "--KpiCollector:Sources:0:WhatsApp:WabaId=102290129340398",
            "--KpiCollector:Sources:0:WhatsApp:Analytics=false",
            $"--KpiCollector:Sources:0:WhatsApp:MaxConcurrentWebhooks={Math.Max(8, concurrency)}",
            "--KpiCollector:RefreshInterval=1s",
        ], settings: new Dictionary<string, string?> // secrets are refused on the command line
        {
            ["KpiCollector:Sources:0:WhatsApp:AppSecret"] = AppSecret,
            ["KpiCollector:Sources:0:WhatsApp:VerifyToken"] = "bench-verify-token",
        });
        await app.StartAsync();
        return new StartedCollector(app);
    }

    internal static Uri Address(StartedCollector collector) =>
        new(collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// The collector of one benchmark run. Disposing it stops it first, as SIGTERM does: the scheduler ends its jobs
    /// before the services they use are disposed (disposing a started host alone leaves Quartz firing polls into a
    /// disposed container).
    /// </summary>
    internal sealed class StartedCollector(WebApplication app) : IAsyncDisposable
    {
        public IServiceProvider Services => app.Services;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>A few signed deliveries, so that the receiver's paths are compiled before anything is measured.</summary>
    internal static async Task WarmUpAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address };
        var clock = Stopwatch.StartNew();
        var result = await SendAsync(http, 999, clock, TimeSpan.FromSeconds(1));
        if (result.Acknowledged.Count == 0)
        {
            throw new InvalidOperationException("The warm-up's deliveries were not acknowledged.");
        }
    }

    private sealed record SenderResult(List<string> Acknowledged, List<double> Latencies, int Refused, int Failed);

    private static async Task<SenderResult> SendAsync(HttpClient http, int worker, Stopwatch clock, TimeSpan deadline)
    {
        var acknowledged = new List<string>();
        var latencies = new List<double>();
        int refused = 0, failed = 0;
        var secret = Encoding.UTF8.GetBytes(AppSecret);
        for (var n = 0; clock.Elapsed < deadline; n++)
        {
            var wamid = $"wamid.bench.{worker}.{n}";
            var waId = $"49151{worker:D3}{n % 500:D4}";
            var body = Encoding.UTF8.GetBytes(Inbound(waId, wamid, DateTimeOffset.UtcNow));
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/whatsapp/wa") { Content = content };
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body)));
            var t = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request);
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged.Add(wamid);
                }
                else
                {
                    refused++;
                }
            }
            catch (HttpRequestException)
            {
                failed++;
            }
        }

        return new SenderResult(acknowledged, latencies, refused, failed);
    }

    /// <summary>A poll: pages of 1,000 conversation updates, each committed through the pipeline, a gap after each.</summary>
    private static List<double> Poll(IngestPipeline pipeline, int gapMs, CancellationToken cancellationToken)
    {
        var durations = new List<double>();
        foreach (var page in Pages())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            var t = Stopwatch.GetTimestamp();
            pipeline.Ingest("north", page);
            durations.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            if (gapMs > 0)
            {
                cancellationToken.WaitHandle.WaitOne(gapMs);
            }
        }

        return durations;
    }

    /// <summary>Pages of 1,000: every conversation created, then replied and resolved, in the order an export delivers them.</summary>
    private static IEnumerable<SourceBatch> Pages() =>
        Workload.UpdatePages(200_000, PageOrder.Export).Select(page => page with { Conversations = [.. page.Conversations.Select(c => c with { Source = "north" })] });

    private static HashSet<string> StoredIds(SqliteStore store)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long after = 0;
        while (store.ReadInbox("wa", after, 5000) is { Count: > 0 } page)
        {
            foreach (var delivery in page)
            {
                foreach (var e in WhatsAppInbox.Events(delivery, out _))
                {
                    ids.Add(e.Id);
                }
            }

            after = page[^1].Seq;
        }

        return ids;
    }

    private static string Inbound(string waId, string wamid, DateTimeOffset at)
    {
        var ts = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{\"field\":\"messages\",\"value\":{"
            + "\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"" + PhoneNumberId + "\"},"
            + "\"contacts\":[{\"profile\":{\"name\":\"Sheena\"},\"wa_id\":\"" + waId + "\"}],"
            + "\"messages\":[{\"from\":\"" + waId + "\",\"id\":\"" + wamid + "\",\"timestamp\":\"" + ts + "\",\"type\":\"text\",\"text\":{\"body\":\"Hi, my order?\"}}]}}]}]}";
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
