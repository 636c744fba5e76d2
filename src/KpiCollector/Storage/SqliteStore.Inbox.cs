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
