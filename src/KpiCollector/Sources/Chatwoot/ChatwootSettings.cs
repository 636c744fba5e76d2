namespace KpiCollector.Sources.Chatwoot;

/// <summary>Settings of a <c>chatwoot</c> source: <c>KpiCollector:Sources:N:Chatwoot</c>.</summary>
public sealed class ChatwootSettings
{
    /// <summary>The account's numeric id, as in <c>/app/accounts/{id}/dashboard</c>. Required.</summary>
    public int AccountId { get; set; }

    /// <summary>
    /// Read each changed conversation's messages (one request per conversation, more for long threads) for the first
    /// response including bots, its kind, and agent reply counts. Without them only the first human reply is known.
    /// Default true.
    /// </summary>
    public bool ReadMessages { get; set; } = true;

    /// <summary>Read CSAT survey responses. Default true.</summary>
    public bool Csat { get; set; } = true;

    /// <summary>
    /// How often the open set is reconciled with the platform's list of open conversations (docs/sources.md, "Open set"): at
    /// the first poll, then at the first poll once this long has passed since the last complete reconciliation. It
    /// finds open conversations older than the backfill and drops those the platform no longer lists. Default <c>1h</c>.
    /// </summary>
    public string OpenSetInterval { get; set; } = "1h";
}
