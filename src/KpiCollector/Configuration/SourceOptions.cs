namespace KpiCollector.Configuration;

/// <summary>One platform account to poll: <c>KpiCollector:Sources:N</c>.</summary>
public sealed class SourceOptions
{
    /// <summary>Unique; the <c>source</c> label. Lower-case letters, digits, <c>-</c> and <c>_</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The name of a registered platform (<c>Sources.PlatformCatalog</c>): zendesk, freshdesk, ….</summary>
    public string Platform { get; set; } = "";

    /// <summary>The account's API root, e.g. <c>https://acme.zendesk.com</c>. Required for remote platforms.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// The API credential. Never put it in appsettings.json: set it through the environment
    /// (<c>KPICOLLECTOR__SOURCES__N__APITOKEN</c>) or point <see cref="ApiTokenFile"/> at a file (a mounted secret).
    /// </summary>
    public string? ApiToken { get; set; }

    /// <summary>A file holding the API credential; read at start, trailing whitespace ignored.</summary>
    public string? ApiTokenFile { get; set; }

    /// <summary>The account e-mail for platforms whose token auth needs one (Zendesk API tokens).</summary>
    public string? Email { get; set; }

    /// <summary>How often to poll. Default <c>1m</c>. Ignored when <see cref="Cron"/> is set.</summary>
    public string Interval { get; set; } = "1m";

    /// <summary>A Quartz cron expression (seconds first, e.g. <c>0 */5 * * * ?</c>) instead of <see cref="Interval"/>.</summary>
    public string? Cron { get; set; }

    /// <summary>How long one HTTP request may take before it counts as timed out (and is retried). Default <c>30s</c>.</summary>
    public string Timeout { get; set; } = "30s";

    /// <summary>
    /// The account's API budget in requests per minute (the plan's limit; requests are paced to stay within it).
    /// Default: the platform's smallest plan (<c>SourcePlatform.DefaultRequestsPerMinute</c>).
    /// </summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Retries of a request after a 5xx, a timeout, a network error or a 429, before the poll fails. Default 4.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>How far back the first poll reads, so the KPI windows start full. Default <c>30d</c>.</summary>
    public string Backfill { get; set; } = "30d";

    /// <summary>
    /// How the credential is sent, for platforms that accept more than one way (Zendesk: <c>token</c> or <c>oauth</c>,
    /// docs/sources.md). Other platforms have one way and leave it empty.
    /// </summary>
    public string? AuthMode { get; set; }

    /// <summary>
    /// The platform's own settings (<c>KpiCollector:Sources:N:&lt;Section&gt;</c>, e.g. <c>Zendesk</c>), bound by its
    /// platform at start (<c>SourcePlatform.BindSettings</c>); code that builds options may set it directly.
    /// </summary>
    [ConfigurationKeyName("__platform_settings")]
    public object? Settings { get; set; }

    /// <summary>The platform settings as <typeparamref name="TSettings"/>; their defaults when none are set.</summary>
    public TSettings SettingsOf<TSettings>()
        where TSettings : class, new() => Settings as TSettings ?? new TSettings();
}
