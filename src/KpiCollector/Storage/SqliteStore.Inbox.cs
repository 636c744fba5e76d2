using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

/// <summary>One delivery in the webhook inbox: its position, when it arrived, and its normalized events (JSON).</summary>
public sealed record InboxDelivery(long Seq, DateTimeOffset ReceivedAt, string Events);

/// <summary>
/// The webhook inbox: a webhook receiver appends what it verified and acknowledged; the source's polls read it in
/// order after their cursor, so a delivery is stored before Meta hears 200 and applied exactly once, in a batch whose
/// cursor is the delivery's position.
/// </summary>
public sealed partial class SqliteStore : Sources.WhatsApp.IWhatsAppInbox
{
    private readonly Lock _inboxQueueGate = new();
    private List<PendingDelivery> _inboxQueue = [];
    private bool _inboxFlushing;

    /// <summary>
    /// Appends one delivery's events through the inbox's group commit; the task completes with the delivery's
    /// position once the transaction holding it has committed (never before), or fails with the store's error.
    /// </summary>
    /// <remarks>
    /// One writer at a time takes every delivery waiting and inserts them in one transaction, so deliveries that
    /// arrive while a poll's page commit holds the store queue up without holding a thread each, and go in together
    /// the moment the page is committed (docs/performance.md, "Webhook throughput").
    /// </remarks>
    public Task<long> AppendToInboxAsync(string source, DateTimeOffset receivedAt, string events)
    {
        var pending = new PendingDelivery(source, receivedAt.ToUnixTimeMilliseconds(), events, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        bool lead;
        lock (_inboxQueueGate)
        {
            _inboxQueue.Add(pending);
            lead = !_inboxFlushing;
            _inboxFlushing = true;
        }

        if (lead)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static store => store.FlushInbox(), this, preferLocal: false);
        }

        return pending.Stored.Task;
    }

    /// <summary>The group commit's writer: commits what is queued, one transaction per round, until nothing is.</summary>
    private void FlushInbox()
    {
        while (true)
        {
            List<PendingDelivery> group;
            lock (_inboxQueueGate)
            {
                if (_inboxQueue.Count == 0)
                {
                    _inboxFlushing = false;
                    return;
                }

                group = _inboxQueue;
                _inboxQueue = [];
            }

            long[] positions;
            try
            {
                positions = InsertDeliveries(group);
            }
#pragma warning disable CA1031 // every waiting request must hear of the failure, whatever it is
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var pending in group)
                {
                    pending.Stored.TrySetException(ex);
                }

                continue;
            }

            for (var i = 0; i < group.Count; i++)
            {
                group[i].Stored.TrySetResult(positions[i]);
            }
        }
    }

    private long[] InsertDeliveries(List<PendingDelivery> group)
    {
        lock (_gate)
        {
            using var tx = Connection.BeginTransaction();
            using var cmd = Connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO webhook_inbox (source, received_at, events) VALUES ($source, $received_at, $events) RETURNING seq;";
            var source = cmd.Parameters.Add(new SqliteParameter("$source", SqliteType.Text));
            var receivedAt = cmd.Parameters.Add(new SqliteParameter("$received_at", SqliteType.Integer));
            var events = cmd.Parameters.Add(new SqliteParameter("$events", SqliteType.Text));
            cmd.Prepare();
            var positions = new long[group.Count];
            for (var i = 0; i < group.Count; i++)
            {
                source.Value = group[i].Source;
                receivedAt.Value = group[i].ReceivedAt;
                events.Value = group[i].Events;
                positions[i] = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }

            tx.Commit();
            RequestCheckpoint();
            return positions;
        }
    }

    private sealed record PendingDelivery(string Source, long ReceivedAt, string Events, TaskCompletionSource<long> Stored);

    /// <summary>Appends one delivery's events; returns its position.</summary>
    public long AppendToInbox(string source, DateTimeOffset receivedAt, string events)
    {
        lock (_gate)
        {
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "INSERT INTO webhook_inbox (source, received_at, events) VALUES ($source, $received_at, $events) RETURNING seq;";
            cmd.Parameters.AddWithValue("$source", source);
            cmd.Parameters.AddWithValue("$received_at", receivedAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$events", events);
            return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Up to <paramref name="limit"/> deliveries of a source after position <paramref name="afterSeq"/>, in order.</summary>
    public IReadOnlyList<InboxDelivery> ReadInbox(string source, long afterSeq, int limit)
    {
        lock (_gate)
        {
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "SELECT seq, received_at, events FROM webhook_inbox WHERE source = $source AND seq > $after ORDER BY seq LIMIT $limit;";
            cmd.Parameters.AddWithValue("$source", source);
            cmd.Parameters.AddWithValue("$after", afterSeq);
            cmd.Parameters.AddWithValue("$limit", limit);
            using var r = cmd.ExecuteReader();
            var list = new List<InboxDelivery>();
            while (r.Read())
            {
                list.Add(ReadDelivery(r));
            }

            return list;
        }
    }

    /// <summary>
    /// One inbox row. A row damaged on disk (a received time that is no instant, events that are not text) keeps its
    /// position and reads as a delivery without events, which the source skips: one bad row never stops the inbox.
    /// </summary>
    private static InboxDelivery ReadDelivery(SqliteDataReader r)
    {
        var seq = r.GetInt64(0);
        try
        {
            return new InboxDelivery(seq, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2));
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            return new InboxDelivery(seq, DateTimeOffset.UnixEpoch, "");
        }
    }

    /// <summary>Removes a source's deliveries received before <paramref name="before"/> that its polls have processed.</summary>
    public int PruneInbox(string source, DateTimeOffset before, long processedUpTo)
    {
        lock (_gate)
        {
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "DELETE FROM webhook_inbox WHERE source = $source AND received_at < $before AND seq <= $seq;";
            cmd.Parameters.AddWithValue("$source", source);
            cmd.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$seq", processedUpTo);
            return cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Deliveries of a source in the inbox.</summary>
    public long CountInbox(string source)
    {
        lock (_gate)
        {
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM webhook_inbox WHERE source = $source;";
            cmd.Parameters.AddWithValue("$source", source);
            return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
