using KpiCollector.Configuration;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Sla;
using KpiCollector.Pipeline;
using KpiCollector.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Benchmarks;

/// <summary>The store, engine, SLA evaluator and pipeline wired as the collector wires them, on a fixed clock.</summary>
public sealed class Host : IDisposable
{
    public Host(string storePath)
        : this(OpenSqlite(storePath))
    {
    }

    /// <summary>On any store (the PostgreSQL benchmark passes its own).</summary>
    public Host(IStore store)
    {
        var options = new KpiCollectorOptions();
        options.Windows = KpiWindow.Defaults.Select(w => w.Name).ToList();
        options.Sla.Windows = KpiWindow.SlaDefaults.Select(w => w.Name).ToList();
        options.Sla.Policies = SlaOptions.Defaults;
        var clock = new FixedClock(Workload.Now);
        Store = store;
        Engine = new KpiEngine(options.ToEngineOptions(), clock);
        Sla = new SlaEvaluator(options.ToSlaPolicies());
        Live = new LiveObservations(clock);
        Pipeline = new IngestPipeline(Store, Engine, Sla, Live, clock);
    }

    public IStore Store { get; }

    public KpiEngine Engine { get; }

    public SlaEvaluator Sla { get; }

    public LiveObservations Live { get; }

    public IngestPipeline Pipeline { get; }

    public void Dispose() => Store.Dispose();

    private static SqliteStore OpenSqlite(string path)
    {
        var store = new SqliteStore(path, NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
