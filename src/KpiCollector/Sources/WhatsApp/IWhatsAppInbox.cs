using KpiCollector.Storage;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// Where a WhatsApp source's signed webhook deliveries wait, durably, for the next poll: the receiver appends a
/// delivery before it answers 200, the poll reads them in order and prunes what it has applied and no longer needs.
/// The store implements it (one table, rows by source and sequence number).
/// </summary>
public interface IWhatsAppInbox
{
    /// <summary>
    /// Stores one delivery's events durably: the task completes with its sequence number once the transaction holding
    /// it has committed (deliveries that arrive together share one commit), never before.
    /// </summary>
    Task<long> AppendToInboxAsync(string source, DateTimeOffset receivedAt, string events);

    /// <summary>Up to <paramref name="limit"/> deliveries after <paramref name="afterSeq"/>, oldest first.</summary>
    IReadOnlyList<InboxDelivery> ReadInbox(string source, long afterSeq, int limit);

    /// <summary>Removes deliveries received before <paramref name="before"/> and already applied (up to <paramref name="processedUpTo"/>).</summary>
    int PruneInbox(string source, DateTimeOffset before, long processedUpTo);
}
