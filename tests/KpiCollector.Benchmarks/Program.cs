using System.Diagnostics;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using KpiCollector.Benchmarks;
using KpiCollector.Core.Records;

// `memory`: resident memory with 1,000,000 conversations in the window (a measurement of the process, not a timing).
if (args is ["memory"])
{
    var dir = Directory.CreateTempSubdirectory("kpi-bench-memory").FullName;
    using (var host = new Host(Path.Combine(dir, "store.db")))
    {
        var before = Process.GetCurrentProcess().WorkingSet64;
        var generated = Stopwatch.StartNew();
        var conversations = Workload.Conversations(1_000_000).Select(c => new RecordChange<Conversation>(null, c)).ToList();
        Console.WriteLine($"generated in {generated.Elapsed.TotalSeconds:F1} s");
        var applied = Stopwatch.StartNew();
        host.Engine.Apply(conversations);
        Console.WriteLine($"engine applied 1,000,000 new conversations in {applied.Elapsed.TotalSeconds:F1} s");
        conversations = null;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        Console.WriteLine($"conversations: 1,000,000; series: {host.Engine.Snapshot().Series.Count}");
        Console.WriteLine($"managed heap after full GC: {GC.GetTotalMemory(forceFullCollection: true) / 1_048_576.0:F0} MiB");
        Console.WriteLine($"resident set (working set): {process.WorkingSet64 / 1_048_576.0:F0} MiB (process before loading: {before / 1_048_576.0:F0} MiB)");
    }

    Directory.Delete(dir, recursive: true);
    return;
}

// `export`: rows per second and peak memory of the raw export of 1,000,000 stored conversations (CSV and JSON).
if (args is ["export"])
{
    await ExportMemory.RunAsync();
    return;
}

// `webhooks [seconds] [senders] [page gap ms]`: signed deliveries a second against the real collector on loopback,
// with a poll committing pages beside them; `scrape [count]`: /metrics latency idle and during a commit.
if (args is ["webhooks", .. var load])
{
    await WebhookLoad.RunAsync(load);
    return;
}

// `apply-profile [indexes|noindexes] [pages] [export|shuffled] [pipeline]`: a stopwatch breakdown of ApplyBenchmark's pages by step.
if (args is ["apply-profile", .. var profile])
{
    ApplyProfile.Run(profile);
    return;
}

// `webhook-attack [unsigned|forged] [connections] [seconds]`: resident memory while slow senders post 4 MB bodies.
if (args is ["webhook-attack", .. var attack])
{
    await WebhookAttack.RunAsync(attack);
    return;
}

// `webhook-host`: the collector webhook-attack attacks, in a process of its own.
if (args is ["webhook-host"])
{
    await WebhookAttack.HostAsync();
    return;
}

if (args is ["scrape", .. var scrapes])
{
    await WebhookLoad.ScrapeAsync(scrapes);
    return;
}

// Few iterations: the suite measures seconds-long operations on a 2-core machine; the goals are orders of magnitude.
var config = DefaultConfig.Instance.AddJob(Job.Default.WithWarmupCount(1).WithIterationCount(5).WithLaunchCount(1).AsDefault());
BenchmarkSwitcher.FromAssembly(typeof(ApplyBenchmark).Assembly).Run(args, config);
