using System.Runtime.CompilerServices;
using KpiCollector.Core.Records;
using KpiCollector.Storage;

namespace KpiCollector.Sources;

/// <summary>
/// One reconciliation of a connector's open set with the platform's own list of open conversations (see
/// docs/sources.md, "Open set"). The incremental reads only see conversations changed within the backfill or since
/// the last poll; an old conversation nobody touched, or one deleted or closed where the incremental read cannot see
/// it, would otherwise stay wrong in the backlog, the unanswered count and the oldest unanswered age forever.
/// </summary>
/// <remarks>
/// <para>
/// The platform lists its open conversations page by page. Listed conversations the store does not hold as open are
/// read in full (the connector's usual mapping, first reply included) and returned at once, to be committed like any
/// page. Once the listing is complete, the conversations the store holds as open that it did not list are looked up
/// one by one (or in the platform's batches): their current version is returned, and one the platform no longer has
/// becomes a closed version at the observation time, which takes it out of the backlog the way the engine already
/// treats an ended conversation. A listing that fails or is cut short drops nothing.
/// </para>
/// <para>
/// Only the completion is saved, in the connector's cursor (<see cref="OpenSetStep.Done"/>): a crash mid-way restarts
/// the reconciliation at the next poll. That is safe: what the first attempt committed is in the store by then, so it
/// is neither read in full nor applied again, and a conversation already closed is no longer in the open set.
/// </para>
/// </remarks>
internal sealed class OpenSetReconciler(string source, IOpenConversations? store, TimeSpan interval, TimeProvider time, ILogger logger)
{
    /// <summary>Whether a reconciliation is due: never done, or the last one completed at least the interval ago; never without a store.</summary>
    public bool IsDue(long? lastCompletedMs) =>
        store is not null && (lastCompletedMs is not { } last || time.GetUtcNow().ToUnixTimeMilliseconds() - last >= (long)interval.TotalMilliseconds);

    /// <summary>
    /// Runs one reconciliation. <paramref name="list"/> yields the platform's open conversations page by page and marks
    /// the listing incomplete when a paging wall stopped it; <paramref name="mapListed"/> reads listed conversations in
    /// full; <paramref name="current"/> gives the current version of the given ids (an id missing from the answer is
    /// gone from the platform). Each step is one batch to commit; the last one has <see cref="OpenSetStep.Done"/>.
    /// </summary>
    public async IAsyncEnumerable<OpenSetStep> RunAsync<T>(
        Func<OpenListing, CancellationToken, IAsyncEnumerable<IReadOnlyList<T>>> list,
        Func<T, string> idOf,
        Func<IReadOnlyList<T>, CancellationToken, Task<IReadOnlyList<Conversation>>> mapListed,
        Func<IReadOnlyList<string>, CancellationToken, Task<IReadOnlyDictionary<string, Conversation>>> current,
        int lookupChunk,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var openAtStart = store!.OpenConversations(source);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var listing = new OpenListing();
        var read = 0;
        await foreach (var page in list(listing, cancellationToken).WithCancellation(cancellationToken))
        {
            var unknown = new List<T>();
            foreach (var item in page)
            {
                // Listed twice (the list moved under the paging) is read once.
                if (listed.Add(idOf(item)) && !openAtStart.ContainsKey(idOf(item)))
                {
                    unknown.Add(item);
                }
            }

            read += unknown.Count;
            var records = unknown.Count == 0 ? [] : await mapListed(unknown, cancellationToken);
            yield return new OpenSetStep(records, false, startedAt);
        }

        if (listing.Incomplete is { } reason)
        {
            Log.OpenSetIncomplete(logger, source, listed.Count, reason);
            yield return new OpenSetStep([], true, startedAt);
            yield break;
        }

        // After the listing: what the store holds as open now, including what this listing just committed.
        var stored = store.OpenConversations(source);
        var missing = stored.Keys.Where(id => !listed.Contains(id)).Order(StringComparer.Ordinal).ToList();
        var closed = 0;
        var chunks = missing.Chunk(Math.Max(1, lookupChunk)).ToList();
        for (var i = 0; i < chunks.Count; i++)
        {
            var found = await current(chunks[i], cancellationToken);
            var observedAt = time.GetUtcNow();
            var records = new List<Conversation>(chunks[i].Length);
            foreach (var id in chunks[i])
            {
                if (found.TryGetValue(id, out var now))
                {
                    records.Add(now);
                }
                else
                {
                    closed++;
                    records.Add(Gone(stored[id], observedAt));
                }
            }

            yield return new OpenSetStep(records, i == chunks.Count - 1, startedAt);
        }

        Log.OpenSetReconciled(logger, source, listed.Count, read, missing.Count, closed);
        if (chunks.Count == 0)
        {
            yield return new OpenSetStep([], true, startedAt);
        }
    }

    /// <summary>
    /// A conversation the platform no longer has (deleted): closed at the moment that was seen, as the export's own
    /// <c>deleted</c> tickets are, so it leaves the backlog and the unanswered count.
    /// </summary>
    public static Conversation Gone(Conversation stored, DateTimeOffset observedAt)
    {
        var at = observedAt > stored.UpdatedAt ? observedAt : stored.UpdatedAt.AddMilliseconds(1);
        return stored with { Status = ConversationStatus.Closed, ClosedAt = at, UpdatedAt = at };
    }
}

/// <summary>Set by a listing that a paging wall stopped before its end: such a listing drops nothing.</summary>
internal sealed class OpenListing
{
    public string? Incomplete { get; set; }
}

/// <summary>One batch of a reconciliation; <see cref="Done"/> on the last, whose cursor records <see cref="StartedAt"/> as the completion.</summary>
internal readonly record struct OpenSetStep(IReadOnlyList<Conversation> Conversations, bool Done, DateTimeOffset StartedAt);
