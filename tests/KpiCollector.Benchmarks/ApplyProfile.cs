using System.Diagnostics;
using System.Globalization;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;

namespace KpiCollector.Benchmarks;

/// <summary>
/// `apply-profile [indexes|noindexes] [pages] [export|shuffled] [pipeline]`: where the time of <see cref="ApplyBenchmark"/> goes. First the real
/// <c>IngestPipeline.Ingest</c>, timed as a whole (with <c>pipeline</c>, nothing else: a run for a profiler). Then the
/// same pages on a fresh store, the work done one step after the other on one thread, each step timed with a stopwatch:
/// the store's upserts (up to the SLA decision), the decision, the outcomes' insert and the commit, the engine, the SLA
/// clocks, the live counters and the breaches the page's watermark settles (in a commit of their own). The pipeline
/// overlaps the engine and the clocks with the commit and records those breaches in the page's transaction, so the
/// steps add up to more than its total.
/// </summary>
public static class ApplyProfile
{
    private static readonly string[] Steps = ["store: upserts", "sla: decide", "store: outcomes + commit", "engine: conversations", "sla: track", "engine: outcomes", "live: record", "sla: advance (breaches)"];

    public static void Run(IReadOnlyList<string> args)
    {
        var readIndexes = args.Count == 0 || args[0] != "noindexes";
        var pages = args.Count > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var order = args.Count > 2 ? Enum.Parse<PageOrder>(args[2], ignoreCase: true) : PageOrder.Export;
        var pipelineOnly = args.Count > 3 && args[3] == "pipeline"; // the pipeline's total alone (for a profiler)
        var dir = Directory.CreateTempSubdirectory("kpi-bench-profile").FullName;
        try
        {
            // ApplyBenchmark's pages: every conversation created, then replied and resolved.
            var batches = Workload.UpdatePages(pages * 1000 / 2, order);

            // A warm-up on a throwaway store, so that neither run below pays for the JIT's tiers.
            using (var warmup = OpenHost(Path.Combine(dir, "warmup.db"), readIndexes))
            {
                foreach (var batch in batches.Take(40))
                {
                    warmup.Pipeline.Ingest(batch.Conversations[0].Source, batch);
                }
            }

            // The pipeline as the collector runs it (the engine's apply overlaps the store's commit): the total only.
            using (var pipeline = OpenHost(Path.Combine(dir, "pipeline.db"), readIndexes))
            {
                var clock = Stopwatch.StartNew();
                foreach (var batch in batches)
                {
                    pipeline.Pipeline.Ingest(batch.Conversations[0].Source, batch);
                }

                Console.WriteLine($"pipeline (IngestPipeline.Ingest): {clock.Elapsed.TotalMicroseconds / batches.Sum(b => b.Conversations.Count):F1} µs per update");
            }

            if (pipelineOnly)
            {
                return;
            }

            // The same pages on a fresh store, one step after the other, each timed.
            using var host = OpenHost(Path.Combine(dir, "store.db"), readIndexes);

            var half = batches.Count / 2;
            var creations = new long[Steps.Length];
            var updates = new long[Steps.Length];
            long creationUpdates = 0, updateUpdates = 0;
            for (var i = 0; i < batches.Count; i++)
            {
                var ticks = i < half ? creations : updates;
                var n = Ingest(host, batches[i], ticks);
                if (i < half)
                {
                    creationUpdates += n;
                }
                else
                {
                    updateUpdates += n;
                }
            }

            Console.WriteLine($"read indexes: {readIndexes}; order: {order}; {batches.Count} pages of 1,000 (shuffled: the first half creations, the second updates; export: both in each half)");
            Print("first half", creations, creationUpdates);
            Print("second half", updates, updateUpdates);
            var all = creations.Zip(updates, (a, b) => a + b).ToArray();
            Print("all", all, creationUpdates + updateUpdates);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Host OpenHost(string path, bool readIndexes)
    {
        var host = new Host(path);
        if (!readIndexes)
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP INDEX conversations_by_created; DROP INDEX conversations_unanswered;";
            drop.ExecuteNonQuery();
        }

        return host;
    }

    private static int Ingest(Host host, SourceBatch batch, long[] ticks)
    {
        var source = batch.Conversations[0].Source;
        var clock = Stopwatch.StartNew();
        long decideStart = 0, decideEnd = 0;
        var applied = host.Store.Apply(source, batch, Workload.Now, a =>
        {
            decideStart = clock.ElapsedTicks;
            var outcomes = new List<SlaOutcome>();
            foreach (var change in a.Conversations)
            {
                host.Sla.Decide(change.New, outcomes);
            }

            decideEnd = clock.ElapsedTicks;
            return outcomes;
        });
        var stored = clock.ElapsedTicks;
        host.Engine.Apply(applied.Conversations);
        var engine = clock.ElapsedTicks;
        foreach (var change in applied.Conversations)
        {
            host.Sla.Track(change);
        }

        var track = clock.ElapsedTicks;
        host.Engine.Apply(applied.NewOutcomes);
        var outcomes = clock.ElapsedTicks;
        host.Live.Record(applied.NewOutcomes);
        host.Live.Record(applied.Conversations);
        var live = clock.ElapsedTicks;
        host.Pipeline.AdvanceSla(source, batch.Watermark!.Value);
        var end = clock.ElapsedTicks;
        ticks[0] += decideStart;
        ticks[1] += decideEnd - decideStart;
        ticks[2] += stored - decideEnd;
        ticks[3] += engine - stored;
        ticks[4] += track - engine;
        ticks[5] += outcomes - track;
        ticks[6] += live - outcomes;
        ticks[7] += end - live;
        return batch.Conversations.Count;
    }

    private static void Print(string label, long[] ticks, long count)
    {
        var total = ticks.Sum() * 1e6 / Stopwatch.Frequency / count;
        Console.WriteLine($"{label}: {total:F1} µs per update ({count:N0} updates)");
        for (var i = 0; i < Steps.Length; i++)
        {
            Console.WriteLine($"  {Steps[i],-26} {ticks[i] * 1e6 / Stopwatch.Frequency / count,6:F1} µs");
        }
    }
}
