using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using KpiCollector.Core.Records;
using KpiCollector.Endpoints;

namespace KpiCollector.Benchmarks;

/// <summary>
/// The raw export of 1,000,000 stored conversations (with their SLA outcomes), CSV and JSON, written to a null
/// stream by the same writers the endpoints use, reading the store as the endpoints do. Peak memory is measured by
/// <see cref="ExportMemory"/> (the <c>export</c> mode of Program.cs); BenchmarkDotNet reports time and allocations.
/// </summary>
[MemoryDiagnoser]
public class ExportBenchmark
{
    public const int Rows = 1_000_000;
    private Host _host = null!;
    private string _dir = null!;
    private ExportContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("kpi-bench-export").FullName;
        _host = ExportStore.Build(Path.Combine(_dir, "store.db"), Rows);
        _context = ExportStore.Context(_host);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public Task<long> Csv() => ConversationExport.WriteCsvAsync(_host.Store.ReadForExport(null, null, null), Stream.Null, _context, CancellationToken.None);

    [Benchmark(OperationsPerInvoke = Rows)]
    public Task<long> Json() => ConversationExport.WriteJsonAsync(_host.Store.ReadForExport(null, null, null), Stream.Null, _context, CancellationToken.None);
}

internal static class ExportStore
{
    /// <summary>A store holding <paramref name="rows"/> conversations of the workload, ingested through the pipeline so the SLA outcomes are recorded too.</summary>
    public static Host Build(string path, int rows)
    {
        var host = new Host(path);
        var i = 0;
        foreach (var page in Workload.Conversations(rows).Chunk(10_000))
        {
            foreach (var source in page.GroupBy(c => c.Source))
            {
                host.Pipeline.Ingest(source.Key, new SourceBatch { Conversations = [.. source], Cursor = (i++).ToString(System.Globalization.CultureInfo.InvariantCulture), Watermark = Workload.Now });
            }
        }

        return host;
    }

    public static ExportContext Context(Host host) =>
        new(host.Sla.Policies, _ => "zendesk", (_, id) => "https://acme.zendesk.com/agent/tickets/" + id);
}

/// <summary>Peak memory of the process while it exports: sampled every 50 ms, against the level before the export.</summary>
internal static class ExportMemory
{
    public static async Task RunAsync()
    {
        var dir = Directory.CreateTempSubdirectory("kpi-bench-export-memory").FullName;
        try
        {
            var built = Stopwatch.StartNew();
            using var host = ExportStore.Build(Path.Combine(dir, "store.db"), ExportBenchmark.Rows);
            Console.WriteLine($"store with {ExportBenchmark.Rows:N0} conversations built in {built.Elapsed.TotalSeconds:F0} s ({new FileInfo(Path.Combine(dir, "store.db")).Length / 1_048_576.0:F0} MiB)");
            var context = ExportStore.Context(host);
            foreach (var (name, range) in new (string, (DateTimeOffset?, DateTimeOffset?))[] { ("csv", (null, null)), ("json", (null, null)), ("csv, from/to over the whole range", (Workload.Now.AddDays(-31), Workload.Now)) })
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                var process = Process.GetCurrentProcess();
                process.Refresh();
                var baseline = process.WorkingSet64;
                var heapBaseline = GC.GetTotalMemory(forceFullCollection: true);
                long peak = baseline, heapPeak = heapBaseline;
                using var stop = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        process.Refresh();
                        peak = Math.Max(peak, process.WorkingSet64);
                        heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(forceFullCollection: false));
                        await Task.Delay(50);
                    }
                });
                var rows = host.Store.ReadForExport(null, range.Item1, range.Item2);
                var timer = Stopwatch.StartNew();
                var counting = new CountingStream();
                var written = name.StartsWith("json", StringComparison.Ordinal)
                    ? await ConversationExport.WriteJsonAsync(rows, counting, context, CancellationToken.None)
                    : await ConversationExport.WriteCsvAsync(rows, counting, context, CancellationToken.None);
                timer.Stop();
                await stop.CancelAsync();
                await sampler;
                Console.WriteLine($"{name}: {written:N0} rows, {counting.Length / 1_048_576.0:F0} MiB, in {timer.Elapsed.TotalSeconds:F1} s = {written / timer.Elapsed.TotalSeconds:N0} rows/s; " +
                    $"working set {baseline / 1_048_576.0:F0} MiB before, peak {peak / 1_048_576.0:F0} MiB (+{(peak - baseline) / 1_048_576.0:F0} MiB); managed heap peak +{(heapPeak - heapBaseline) / 1_048_576.0:F0} MiB");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Discards what is written, counting the bytes.</summary>
    private sealed class CountingStream : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Position;
        public override long Position { get; set; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Position += count;
        public override void Write(ReadOnlySpan<byte> buffer) => Position += buffer.Length;
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) { Position += count; return Task.CompletedTask; }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) { Position += buffer.Length; return ValueTask.CompletedTask; }
    }
}
