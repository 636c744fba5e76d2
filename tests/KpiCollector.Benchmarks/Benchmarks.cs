using BenchmarkDotNet.Attributes;
using KpiCollector.Core.Records;
using Prometheus;

namespace KpiCollector.Benchmarks;

/// <summary>
/// Goal: apply ≥ 50,000 conversation updates per second, store and engine together. Every iteration applies 32 pages
/// that were never applied (<see cref="FreshPages"/>), whatever the machine's speed: the goal's run of 3 warm-ups and
/// 15 iterations (577 pages with the first call) stays within the 800 pages of its workload.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(FreshPages.PerIteration)]
public class ApplyBenchmark
{
    private const int BatchSize = 1000;
    private FreshPages _pages = null!;
    private Host _host = null!;
    private string _dir = null!;

    /// <summary>With false, the indexes only the drill-down and the export read are dropped: what they cost the ingest.</summary>
    [Params(true, false)]
    public bool ReadIndexes { get; set; }

    /// <summary>Export: the versions as a platform's export delivers them; Shuffled: ids unrelated to time (the worst case).</summary>
    [Params(PageOrder.Export, PageOrder.Shuffled)]
    public PageOrder Order { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("kpi-bench-apply").FullName;
        _host = new Host(Path.Combine(_dir, "store.db"));
        if (!ReadIndexes)
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "store.db")};Pooling=False");
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP INDEX conversations_by_created; DROP INDEX conversations_unanswered;";
            drop.ExecuteNonQuery();
        }

        // Two versions of every conversation (created, then replied and resolved), in the order of Order.
        _pages = new FreshPages(Workload.UpdatePages(400_000, Order, BatchSize)); // 800 pages
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One page of 1,000 conversation updates through the whole pipeline (store transaction, engine, SLA).</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int ApplyPage()
    {
        var batch = _pages.Next();
        return _host.Pipeline.Ingest(batch.Conversations[0].Source, batch).Count;
    }
}

/// <summary>
/// The same pages on the PostgreSQL store (docs/scaling.md, "How far one replica goes"): set
/// KPICOLLECTOR_BENCH_POSTGRES to the connection string of a database the benchmark may wipe (each case starts by
/// dropping its public schema).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(FreshPages.PerIteration)]
public class PostgresApplyBenchmark
{
    private const int BatchSize = 1000;
    private FreshPages _pages = null!;
    private Host _host = null!;

    [Params(PageOrder.Export, PageOrder.Shuffled)]
    public PageOrder Order { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var connectionString = Environment.GetEnvironmentVariable("KPICOLLECTOR_BENCH_POSTGRES")
            ?? throw new InvalidOperationException("Set KPICOLLECTOR_BENCH_POSTGRES to the connection string of a PostgreSQL database the benchmark may wipe.");

        // Each case starts on an empty database: the cases of one run share it.
        using (var connection = new Npgsql.NpgsqlConnection(connectionString))
        {
            connection.Open();
            using var wipe = new Npgsql.NpgsqlCommand("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;", connection);
            wipe.ExecuteNonQuery();
        }

        var store = new KpiCollector.Storage.Postgres.PostgresStore(connectionString, Microsoft.Extensions.Logging.Abstractions.NullLogger<KpiCollector.Storage.Postgres.PostgresStore>.Instance);
        store.Open();
        _host = new Host(store);
        _pages = new FreshPages(Workload.UpdatePages(400_000, Order, BatchSize)); // 800 pages
    }

    [GlobalCleanup]
    public void Cleanup() => _host.Dispose();

    /// <summary>One page of 1,000 conversation updates through the whole pipeline on PostgreSQL.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int ApplyPage()
    {
        var batch = _pages.Next();
        return _host.Pipeline.Ingest(batch.Conversations[0].Source, batch).Count;
    }
}

/// <summary>Goal: refresh every KPI for every window in ≤ 50 ms with 1,000,000 conversations in the 30-day window, 20 series keys.</summary>
public class RefreshBenchmark
{
    private Host _host = null!;
    private string _dir = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("kpi-bench-refresh").FullName;
        _host = new Host(Path.Combine(_dir, "store.db"));
        _host.Engine.Apply(Workload.Conversations(1_000_000).Select(c => new RecordChange<Conversation>(null, c)));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public int Snapshot() => _host.Engine.Snapshot().Series.Count;
}

/// <summary>Goal: rebuild the engine from 1,000,000 stored conversations in ≤ 10 s.</summary>
public class ColdStartBenchmark
{
    private string _dir = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("kpi-bench-rebuild").FullName;
        using var host = new Host(Path.Combine(_dir, "store.db"));
        foreach (var page in Workload.Conversations(1_000_000).Chunk(10_000))
        {
            host.Store.Apply(page[0].Source, new SourceBatch { Conversations = page, Cursor = "c" }, Workload.Now);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark]
    public long Rebuild()
    {
        using var host = new Host(Path.Combine(_dir, "store.db"));
        return host.Pipeline.Rebuild(new Dictionary<string, DateTimeOffset?>()).Conversations;
    }
}

/// <summary>Goal: serve /metrics with 10,000 series in ≤ 50 ms (the exposition the endpoint writes).</summary>
public class ScrapeBenchmark
{
    private CollectorRegistry _registry = null!;

    [GlobalSetup]
    public void Setup()
    {
        _registry = Prometheus.Metrics.NewCustomRegistry();
        var gauge = Prometheus.Metrics.WithCustomRegistry(_registry).CreateGauge("helpdesk_bench_seconds", "Benchmark series.", "source", "platform", "channel", "window", "stat");
        string[] windows = ["1h", "24h", "7d", "30d"];
        string[] stats = ["mean", "p50", "p90", "p95"];
        for (var i = 0; i < 10_000; i++)
        {
            gauge.WithLabels($"s{i % 25}", "simulator", $"c{i / 25 % 25}", windows[i / 625 % 4], stats[i / 2500 % 4]).Set(i);
        }
    }

    [Benchmark]
    public async Task<long> Scrape()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return stream.Length;
    }
}

/// <summary>
/// The pages of one benchmark case, each handed out once. A page applied a second time changes nothing and costs a
/// fraction of a new one, so timing it would flatter the rate: running out is an error, not a wrap-around.
/// </summary>
internal sealed class FreshPages(List<SourceBatch> pages)
{
    /// <summary>The pages one iteration applies (the apply benchmarks' invocation count).</summary>
    public const int PerIteration = 32;

    private int _next;

    public SourceBatch Next() => _next < pages.Count
        ? pages[_next++]
        : throw new InvalidOperationException($"All {pages.Count} pages of the workload were applied; fewer iterations, or a larger workload, keep every timed page new.");
}
