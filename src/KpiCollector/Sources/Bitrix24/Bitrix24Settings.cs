namespace KpiCollector.Sources.Bitrix24;

/// <summary>Settings of a <c>bitrix24</c> source: <c>KpiCollector:Sources:N:Bitrix24</c> (docs/sources.md, "Bitrix24 Open Channels").</summary>
public sealed class Bitrix24Settings
{
    /// <summary>
    /// The id of the user who created the inbound webhook: the number after <c>/rest/</c> in its URL
    /// (<c>https://acme.bitrix24.com/rest/1/{code}/</c>: here 1). Required. The code itself is the credential, in
    /// <c>ApiToken</c> or <c>ApiTokenFile</c>.
    /// </summary>
    public int UserId { get; set; }

    /// <summary>
    /// The most <c>imopenlines.session.history.get</c> calls a poll makes (sent in batches of up to 50, one request a
    /// batch). Sessions beyond it wait in the cursor for the next polls, oldest first. Default 200 (4 requests).
    /// </summary>
    public int SessionHistoryPerPoll { get; set; } = 200;

    /// <summary>
    /// The most sessions the cursor holds waiting for their history; while it is full, the activity list is not read
    /// further. Default 2000.
    /// </summary>
    public int MaxPendingSessions { get; set; } = 2000;

    /// <summary>Read the customer's vote on each session as CSAT (like 5, dislike 1, on a 1-5 scale). Default true.</summary>
    public bool Csat { get; set; } = true;

    /// <summary>
    /// Channels for open-line connector ids, overriding the built-in table (<c>PROVIDER_TYPE_ID</c> of the activity),
    /// e.g. <c>{ "my_sms_connector": "sms" }</c>. Values: whatsapp, email, chat, phone, web, social, sms, api, other.
    /// </summary>
    public Dictionary<string, string> ConnectorChannels { get; set; } = [];
}
