using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Storage;

namespace KpiCollector.Pipeline;

/// <summary>
/// The one path from a source's batch to the KPIs: the store commits the batch, its cursor and the SLA outcomes it
/// settles in one transaction; then the engine, the SLA clocks and the live counters learn the changes. At start,
/// <see cref="Rebuild"/> replays the store through the same path.
/// </summary>
public sealed class IngestPipeline(IStore store, KpiEngine engine, SlaEvaluator sla, LiveObservations live, TimeProvider time)
{
    public AppliedBatch Ingest(string source, SourceBatch batch)
    {
        // The engine and the SLA clocks apply the page on a second thread while the store writes and commits it,
        // holding their locks until the commit's outcome is known (a failed commit is undone before anyone reads).
        using var concurrent = new ConcurrentApply(engine, sla);
        AppliedBatch applied;
        try
        {
            applied = store.Apply(source, batch, time.GetUtcNow(), changes =>
            {
                var outcomes = Decide(changes);
                // What the page does to the clocks, and the breaches its watermark settles: those commit with the page.
                var page = sla.Plan(source, changes.Conversations, [.. changes.Messages.Select(m => m.New)], batch.Watermark);
                concurrent.Start(changes.Conversations, page);
                outcomes.AddRange(page.Breaches);
                return outcomes;
            });
        }
        catch
        {
            concurrent.Finish(committed: false);
            throw;
        }

        concurrent.Finish(committed: true);
        engine.Apply(applied.Surveys);
        engine.Apply(applied.Messages);
        engine.Apply(applied.AgentActivities);
        engine.Apply(applied.Costs);
        engine.Apply(applied.Usage);
        if (applied.Customers.Count > 0)
        {
            engine.SetCustomers(source, store.ReadCustomers(source));
        }

        engine.Apply(applied.NewOutcomes);
        live.Record(applied.NewOutcomes);
        live.Record(applied.Conversations);
        if (batch.Watermark is { } watermark)
        {
            // The plan breached (and the page committed) what the watermark allows, so this finds nothing while a
            // source's pages come one after the other (the poller's order); it stays as the backstop if they do not.
            AdvanceSla(source, watermark);
        }

        return applied;
    }

    /// <summary>Breaches the clocks whose deadline the source's watermark has passed, recorded in one transaction of their own.</summary>
    public void AdvanceSla(string source, DateTimeOffset watermark)
    {
        var proposals = new List<SlaOutcome>();
        sla.Advance(source, watermark, proposals);
        var recorded = store.RecordOutcomes(proposals, time.GetUtcNow());
        engine.Apply(recorded);
        live.Record(recorded);
    }

    /// <summary>Rebuilds the engine and the SLA clocks from the store, then settles what the saved watermarks allow.</summary>
    public (long Conversations, long Others) Rebuild(IReadOnlyDictionary<string, DateTimeOffset?> watermarks)
    {
        long conversations = 0, others = 0;
        engine.Apply(ReadAhead(store.ReadConversations()).Select(c =>
        {
            conversations++;
            var change = new RecordChange<Conversation>(null, c);
            sla.Track(change);
            return change;
        }));
        engine.Apply(store.ReadSurveys().Select(s => Count(new RecordChange<SurveyResponse>(null, s), ref others)));
        engine.Apply(store.ReadMessages().Select(m =>
        {
            others++;
            sla.Track(m);
            return new RecordChange<MessageEvent>(null, m);
        }));
        engine.Apply(store.ReadAgentActivities().Select(a => Count(new RecordChange<AgentActivity>(null, a), ref others)));
        engine.Apply(store.ReadCosts().Select(c => Count(new RecordChange<CostEntry>(null, c), ref others)));
        engine.Apply(store.ReadUsage().Select(u => Count(new RecordChange<MessagingUsage>(null, u), ref others)));
        foreach (var group in store.ReadCustomers().GroupBy(c => c.Source))
        {
            engine.SetCustomers(group.Key, group);
        }

        engine.Apply(store.ReadOutcomes());
        foreach (var (source, watermark) in watermarks)
        {
            if (watermark is { } w)
            {
                AdvanceSla(source, w);
            }
        }

        return (conversations, others);
    }

    /// <summary>
    /// Loads one source from the store into the engine and the SLA clocks, dropping whatever they held for it first,
    /// then settles what its saved watermark allows: a replica taking the source over (docs/scaling.md). The other
    /// sources' state is untouched.
    /// </summary>
    public (long Conversations, long Others) Load(string source, DateTimeOffset? watermark)
    {
        Forget(source);
        long conversations = 0, others = 0;
        engine.Apply(store.ReadConversations(source).Select(c =>
        {
            conversations++;
            var change = new RecordChange<Conversation>(null, c);
            sla.Track(change);
            return change;
        }));
        engine.Apply(store.ReadSurveys(source).Select(s => Count(new RecordChange<SurveyResponse>(null, s), ref others)));
        engine.Apply(store.ReadMessages(source).Select(m =>
        {
            others++;
            sla.Track(m);
            return new RecordChange<MessageEvent>(null, m);
        }));
        engine.Apply(store.ReadAgentActivities(source).Select(a => Count(new RecordChange<AgentActivity>(null, a), ref others)));
        engine.Apply(store.ReadCosts(source).Select(c => Count(new RecordChange<CostEntry>(null, c), ref others)));
        engine.Apply(store.ReadUsage(source).Select(u => Count(new RecordChange<MessagingUsage>(null, u), ref others)));
        var customers = store.ReadCustomers(source).ToList();
        if (customers.Count > 0)
        {
            engine.SetCustomers(source, customers);
        }

        engine.Apply(store.ReadOutcomes(source));
        if (watermark is { } w)
        {
            AdvanceSla(source, w);
        }

        return (conversations, others);
    }

    /// <summary>Drops everything the engine and the SLA clocks hold for the source (a replica handing it over).</summary>
    public void Forget(string source)
    {
        engine.Forget(source);
        sla.Forget(source);
    }

    /// <summary>
    /// Reads on another thread while the caller consumes: at start, reading a million rows and applying them to the
    /// engine overlap on two cores instead of taking turns.
    /// </summary>
    private static IEnumerable<T> ReadAhead<T>(IEnumerable<T> source, int capacity = 50_000)
    {
        using var queue = new System.Collections.Concurrent.BlockingCollection<T>(capacity);
        var reader = Task.Run(() =>
        {
            try
            {
                foreach (var item in source)
                {
                    queue.Add(item);
                }
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        foreach (var item in queue.GetConsumingEnumerable())
        {
            yield return item;
        }

        reader.GetAwaiter().GetResult(); // surfaces a read failure
    }

    private List<SlaOutcome> Decide(AppliedBatch applied)
    {
        var outcomes = new List<SlaOutcome>();
        foreach (var change in applied.Conversations)
        {
            sla.Decide(change.New, outcomes);
        }

        foreach (var change in applied.Messages)
        {
            sla.Decide(change.New, outcomes);
        }

        return outcomes;
    }

    /// <summary>
    /// One page applied to the engine (its conversations) and the SLA clocks (its plan) while its store commits:
    /// <see cref="Start"/> from the decision (every change is known, nothing is written yet), <see cref="Finish"/> once
    /// the commit succeeded or failed. The thread takes the engine's lock, then the clocks' (the order every path uses).
    /// </summary>
    private sealed class ConcurrentApply(KpiEngine engine, SlaEvaluator sla) : IDisposable
    {
        private readonly ManualResetEventSlim _done = new();
        private bool _committed;
        private Thread? _thread;
        private Exception? _failure;

        public void Start(IReadOnlyList<RecordChange<Conversation>> changes, SlaPage page)
        {
            if (_thread is not null)
            {
                throw new InvalidOperationException("The store asked for the page's decision twice.");
            }

            if (changes.Count == 0 && page.IsEmpty)
            {
                return;
            }

            Func<bool> committed = () =>
            {
                _done.Wait();
                return _committed;
            };
            Func<bool> clocks = page.IsEmpty ? committed : () => sla.ApplyUntilCommitted(page, committed);

            // A thread of its own, not the pool's: it waits for the commit, and polls of several sources may run at once.
            _thread = new Thread(() =>
            {
                try
                {
                    if (changes.Count == 0)
                    {
                        clocks();
                    }
                    else
                    {
                        engine.ApplyUntilCommitted(changes, clocks);
                    }
                }
                catch (Exception ex)
                {
                    _failure = ex;
                }
            })
            {
                IsBackground = true,
                Name = "kpicollector-engine-apply",
            };
            _thread.Start();
        }

        /// <summary>Tells the engine and the clocks whether the store committed, and waits until they kept or undid the page.</summary>
        public void Finish(bool committed)
        {
            _committed = committed;
            _done.Set();
            _thread?.Join();
            if (_failure is not null && committed)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
            }
        }

        public void Dispose() => _done.Dispose();
    }

    private static T Count<T>(T value, ref long counter)
    {
        counter++;
        return value;
    }
}
