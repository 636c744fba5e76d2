namespace KpiCollector.Configuration;

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
}
