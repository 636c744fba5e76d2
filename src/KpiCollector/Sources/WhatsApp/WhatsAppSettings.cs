namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// Settings of a <c>whatsapp</c> source (a WhatsApp Business Account on the Cloud API): <c>KpiCollector:Sources:N:WhatsApp</c>.
/// The source polls the account's analytics (volumes and cost) with the source's <c>ApiToken</c>, a system-user access
/// token, and receives the account's webhooks on <c>/webhooks/whatsapp/{source name}</c> when an app secret is set.
/// </summary>
public sealed class WhatsAppSettings
{
    /// <summary>The Graph API root when the source's <c>BaseUrl</c> is not set.</summary>
    public const string DefaultBaseUrl = "https://graph.facebook.com";

    /// <summary>Webhook bodies up to this size are read (Meta sends up to about 3 MB); larger ones get 413.</summary>
    public const int DefaultMaxWebhookBytes = 4 * 1024 * 1024;

    /// <summary>The WhatsApp Business Account id (digits), as in Business Manager or the webhook's <c>entry[].id</c>. Required.</summary>
    public string? WabaId { get; set; }

    /// <summary>The pinned Graph API version, e.g. <c>v23.0</c> (Meta retires each about two years after release). Default <c>v23.0</c>.</summary>
    public string ApiVersion { get; set; } = "v23.0";

    /// <summary>Poll <c>pricing_analytics</c> and <c>conversation_analytics</c> (needs the access token). Default true.</summary>
    public bool Analytics { get; set; } = true;

    /// <summary>How often analytics are read; polls in between only process received webhooks. Default <c>15m</c> (4 requests an hour of the 200 allowed).</summary>
    public string AnalyticsInterval { get; set; } = "15m";

    /// <summary>Read <c>conversation_analytics</c> too (accounts that still have it; conversation counts). Default true; switched off for the process when the account does not offer it.</summary>
    public bool ConversationAnalytics { get; set; } = true;

    /// <summary>The app secret that signs webhooks (<c>X-Hub-Signature-256</c>). Set it through the environment (<c>KPICOLLECTOR__SOURCES__N__WHATSAPP__APPSECRET</c>) or <see cref="AppSecretFile"/>. Without it the webhook receiver is off.</summary>
    public string? AppSecret { get; set; }

    /// <summary>A file holding the app secret (a mounted secret).</summary>
    public string? AppSecretFile { get; set; }

    /// <summary>The verify token entered in the app's webhook settings, echoed by Meta's verification request. Required with the app secret.</summary>
    public string? VerifyToken { get; set; }

    /// <summary>A file holding the verify token.</summary>
    public string? VerifyTokenFile { get; set; }

    /// <summary>Largest webhook body accepted, in bytes. Default 4 MiB.</summary>
    public int MaxWebhookBytes { get; set; } = DefaultMaxWebhookBytes;

    /// <summary>
    /// Webhook bodies read at once for this source; a request beyond waits up to a second for a slot, then gets 503
    /// with <c>Retry-After</c> (Meta delivers again). Bounds the memory signed senders can hold. Default 8.
    /// </summary>
    public int MaxConcurrentWebhooks { get; set; } = 8;

    /// <summary>
    /// The whole body must arrive within this time from the request's start, whatever its pace (a sender trickling
    /// bytes just fast enough for a minimum rate cannot hold a slot longer); 408 after. Default <c>10s</c>.
    /// </summary>
    public string WebhookBodyTimeout { get; set; } = "10s";

    /// <summary>The customer service window: a thread whose last customer message is older than this with no business reply is abandoned. Default <c>24h</c>.</summary>
    public string ServiceWindow { get; set; } = "24h";

    /// <summary>How long processed webhook deliveries stay in the inbox (they rebuild the threads' state at start). Default <c>35d</c>.</summary>
    public string InboxRetention { get; set; } = "35d";

    public bool WebhookEnabled => !string.IsNullOrWhiteSpace(AppSecret) || !string.IsNullOrWhiteSpace(AppSecretFile);
}
