namespace KpiCollector.Sources.Interakt;

/// <summary>
/// Settings of an <c>interakt</c> source (a WhatsApp number on Interakt, a Business Solution Provider):
/// <c>KpiCollector:Sources:N:Interakt</c>. Interakt has no API to read conversations; the source receives the
/// account's webhooks on <c>/webhooks/interakt/{source name}</c>, signed with the secret key entered in Interakt's
/// Developer Settings (docs/sources.md, "Interakt").
/// </summary>
public sealed class InteraktSettings
{
    /// <summary>Webhook bodies up to this size are read; larger ones get 413. Interakt's bodies are a few KB.</summary>
    public const int DefaultMaxWebhookBytes = 1024 * 1024;

    /// <summary>
    /// The secret key entered with the webhook URL in Interakt's Developer Settings: the key of the
    /// <c>Interakt-Signature</c> HMAC. Set it through the environment (<c>KPICOLLECTOR__SOURCES__N__INTERAKT__SECRETKEY</c>)
    /// or <see cref="SecretKeyFile"/>. Required.
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>A file holding the secret key (a mounted secret).</summary>
    public string? SecretKeyFile { get; set; }

    /// <summary>Largest webhook body accepted, in bytes. Default 1 MiB.</summary>
    public int MaxWebhookBytes { get; set; } = DefaultMaxWebhookBytes;

    /// <summary>Webhook bodies read at once for this source; a request beyond waits up to a second, then gets 503. Default 8.</summary>
    public int MaxConcurrentWebhooks { get; set; } = 8;

    /// <summary>The whole body must arrive within this time from the request's start; 408 after. Default <c>3s</c> (Interakt gives up after 3 s itself).</summary>
    public string WebhookBodyTimeout { get; set; } = "3s";

    /// <summary>The customer service window: a thread whose last customer message is older than this with no business reply is abandoned. Default <c>24h</c>.</summary>
    public string ServiceWindow { get; set; } = "24h";

    /// <summary>How long processed webhook deliveries stay in the inbox (they rebuild the threads' state at start). Default <c>35d</c>.</summary>
    public string InboxRetention { get; set; } = "35d";
}
