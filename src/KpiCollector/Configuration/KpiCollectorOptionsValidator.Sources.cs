using KpiCollector.Core.Time;

namespace KpiCollector.Configuration;

/// <summary>The keys of sources reached over HTTP: timeouts, budgets, backfill, authentication and platform settings.</summary>
public sealed partial class KpiCollectorOptionsValidator
{
    /// <summary>Zendesk rejects an incremental export whose start_time is less than a few minutes old.</summary>
    private static readonly TimeSpan MinZendeskBackfill = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan MinOpenSetInterval = TimeSpan.FromMinutes(5);

    private static void ValidateRemote(string key, string platform, SourceOptions source, List<string> failures)
    {
        if (!Durations.TryParse(source.Timeout, out var timeout) || timeout > MaxTimeout)
        {
            failures.Add($"{key}:Timeout: '{source.Timeout}' is not a timeout; use {Durations.Syntax}, at most 10m.");
        }

        if (source.RequestsPerMinute is < 1 or > 100_000)
        {
            failures.Add($"{key}:RequestsPerMinute: {source.RequestsPerMinute} is out of range; allowed: 1 to 100000 (default for {platform}: {PlatformDefaults.RequestsPerMinute(platform)}).");
        }

        if (source.MaxRetries is < 0 or > 10)
        {
            failures.Add($"{key}:MaxRetries: {source.MaxRetries} is out of range; allowed: 0 to 10.");
        }

        if (!Durations.TryParse(source.Backfill, out var backfill))
        {
            failures.Add($"{key}:Backfill: '{source.Backfill}' is not a positive duration; use {Durations.Syntax}.");
        }
        else if (platform == Platforms.Zendesk && backfill < MinZendeskBackfill)
        {
            failures.Add($"{key}:Backfill: '{source.Backfill}' is too short for zendesk, whose incremental export rejects a start time less than 5 minutes old; use 5m or more.");
        }

        if (platform == Platforms.Freshdesk)
        {
            ValidateFreshdesk(key, source.Freshdesk, failures);
        }

        if (platform == Platforms.Chatwoot && source.Chatwoot.AccountId < 1)
        {
            failures.Add($"{key}:Chatwoot:AccountId: required for platform 'chatwoot': the account's number, as in https://chatwoot.example.com/app/accounts/3/dashboard (here 3).");
        }

        var openSetInterval = platform switch
        {
            Platforms.Zendesk => ("Zendesk", source.Zendesk.OpenSetInterval),
            Platforms.Freshdesk => ("Freshdesk", source.Freshdesk.OpenSetInterval),
            Platforms.Chatwoot => ("Chatwoot", source.Chatwoot.OpenSetInterval),
            _ => ((string, string)?)null,
        };
        if (openSetInterval is var (section, interval))
        {
            ValidateOpenSetInterval($"{key}:{section}:OpenSetInterval", interval, failures);
        }

        if (platform == Platforms.WhatsApp)
        {
            ValidateWhatsApp(key, source.WhatsApp, failures);
        }

        if (platform == Platforms.Zendesk)
        {
            ValidateZendesk(key, source, failures);
        }
        else if (!string.IsNullOrWhiteSpace(source.AuthMode))
        {
            failures.Add($"{key}:AuthMode: '{source.AuthMode}' is not used by platform '{platform}', which authenticates one way only; leave it empty.");
        }
    }

    /// <summary>A reconciliation lists every open conversation: more often than every 5 minutes would spend the budget on little.</summary>
    private static void ValidateOpenSetInterval(string key, string? value, List<string> failures)
    {
        if (!Durations.TryParse(value, out var interval))
        {
            failures.Add($"{key}: '{value}' is not a positive duration; use {Durations.Syntax}.");
        }
        else if (interval < MinOpenSetInterval)
        {
            failures.Add($"{key}: '{value}' is too short; each reconciliation lists every open conversation, use 5m or more (default 1h).");
        }
    }

    private static void ValidateZendesk(string key, SourceOptions source, List<string> failures)
    {
        var mode = string.IsNullOrWhiteSpace(source.AuthMode) ? ZendeskAuth.Token : source.AuthMode.Trim().ToLowerInvariant();
        if (!ZendeskAuth.Modes.Contains(mode))
        {
            failures.Add($"{key}:AuthMode: '{source.AuthMode}' is not a Zendesk authentication mode; allowed values: {string.Join(", ", ZendeskAuth.Modes)}.");
        }
        else if (mode == ZendeskAuth.Token && string.IsNullOrWhiteSpace(source.Email))
        {
            failures.Add($"{key}:Email: required for Zendesk API-token authentication (AuthMode {ZendeskAuth.Token}): the e-mail of the admin the token acts for; or set {key}:AuthMode to {ZendeskAuth.OAuth} for an OAuth access token.");
        }

        var zendesk = source.Zendesk;
        if (zendesk.ExportRequestsPerMinute is < 1 or > 1000)
        {
            failures.Add($"{key}:Zendesk:ExportRequestsPerMinute: {zendesk.ExportRequestsPerMinute} is out of range; allowed: 1 to 1000 (Zendesk allows 10, or 30 with the High Volume API add-on).");
        }

        if (zendesk.PerPage is < 1 or > 1000)
        {
            failures.Add($"{key}:Zendesk:PerPage: {zendesk.PerPage} is out of range; allowed: 1 to 1000.");
        }

        if (!ZendeskSettings.CsatModes.Contains(zendesk.Csat?.Trim().ToLowerInvariant()))
        {
            failures.Add($"{key}:Zendesk:Csat: '{zendesk.Csat}' is not a CSAT mode; allowed values: {string.Join(", ", ZendeskSettings.CsatModes.Where(m => m != ZendeskSettings.CsatNone))}.");
        }

        ValidateDuration($"{key}:Zendesk:CsatOverlap", zendesk.CsatOverlap, failures);
    }

    private static void ValidateFreshdesk(string key, FreshdeskSettings freshdesk, List<string> failures)
    {
        if (freshdesk.TicketsRequestsPerMinute is < 1 or > 10_000)
        {
            failures.Add($"{key}:Freshdesk:TicketsRequestsPerMinute: {freshdesk.TicketsRequestsPerMinute} is out of range; allowed: 1 to 10000 (Freshdesk allows Growth 20, Pro 100, Enterprise 200).");
        }

        if (freshdesk.PerPage is < 1 or > 100)
        {
            failures.Add($"{key}:Freshdesk:PerPage: {freshdesk.PerPage} is out of range; allowed: 1 to 100.");
        }

        foreach (var (code, channel) in freshdesk.SourceChannels)
        {
            if (!int.TryParse(code, out _))
            {
                failures.Add($"{key}:Freshdesk:SourceChannels:{code}: '{code}' is not a Freshdesk source code; use the number, e.g. 13.");
            }
            else if (!Core.Records.Channels.Known.Contains(channel?.Trim().ToLowerInvariant()))
            {
                failures.Add($"{key}:Freshdesk:SourceChannels:{code}: '{channel}' is not a channel; allowed values: {string.Join(", ", Core.Records.Channels.Known)}.");
            }
        }

        foreach (var (code, status) in freshdesk.Statuses)
        {
            if (!int.TryParse(code, out _))
            {
                failures.Add($"{key}:Freshdesk:Statuses:{code}: '{code}' is not a Freshdesk status code; use the number, e.g. 6.");
            }
            else if (!Core.Records.ConversationStatuses.LabelValues.Contains(status?.Trim().ToLowerInvariant()))
            {
                failures.Add($"{key}:Freshdesk:Statuses:{code}: '{status}' is not a status; allowed values: {string.Join(", ", Core.Records.ConversationStatuses.LabelValues)}.");
            }
        }
    }

    private static void ValidateWhatsApp(string key, WhatsAppSettings whatsApp, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(whatsApp.WabaId) || !whatsApp.WabaId.Trim().All(char.IsAsciiDigit))
        {
            failures.Add($"{key}:WhatsApp:WabaId: required for platform 'whatsapp': the WhatsApp Business Account id, digits only (Business Manager > WhatsApp accounts), e.g. 102290129340398.");
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(whatsApp.ApiVersion ?? "", @"^v\d{1,3}\.\d$"))
        {
            failures.Add($"{key}:WhatsApp:ApiVersion: '{whatsApp.ApiVersion}' is not a Graph API version; use the form v23.0.");
        }

        ValidateDuration($"{key}:WhatsApp:AnalyticsInterval", whatsApp.AnalyticsInterval, failures);
        ValidateDuration($"{key}:WhatsApp:ServiceWindow", whatsApp.ServiceWindow, failures);
        ValidateDuration($"{key}:WhatsApp:WebhookBodyTimeout", whatsApp.WebhookBodyTimeout, failures);
        if (whatsApp.MaxConcurrentWebhooks is < 1 or > 1024)
        {
            failures.Add($"{key}:WhatsApp:MaxConcurrentWebhooks: {whatsApp.MaxConcurrentWebhooks} is out of range; allowed: 1 to 1024.");
        }
        ValidateDuration($"{key}:WhatsApp:InboxRetention", whatsApp.InboxRetention, failures);
        if (!whatsApp.Analytics && !whatsApp.WebhookEnabled)
        {
            failures.Add($"{key}:WhatsApp:Analytics: false, and no webhook app secret ({key}:WhatsApp:AppSecret or AppSecretFile) is set: the source would receive nothing; enable one of them.");
        }

        if (whatsApp.WebhookEnabled && string.IsNullOrWhiteSpace(whatsApp.VerifyToken) && string.IsNullOrWhiteSpace(whatsApp.VerifyTokenFile))
        {
            failures.Add($"{key}:WhatsApp:VerifyToken: required with the app secret: the verify token entered in the app's webhook settings (environment KPICOLLECTOR__SOURCES__N__WHATSAPP__VERIFYTOKEN or {key}:WhatsApp:VerifyTokenFile).");
        }

        foreach (var (name, file) in new[] { ("AppSecretFile", whatsApp.AppSecretFile), ("VerifyTokenFile", whatsApp.VerifyTokenFile) })
        {
            if (!string.IsNullOrWhiteSpace(file) && !File.Exists(file))
            {
                failures.Add($"{key}:WhatsApp:{name}: the file '{file}' does not exist.");
            }
        }

        if (whatsApp.MaxWebhookBytes is < 65_536 or > 64 * 1024 * 1024)
        {
            failures.Add($"{key}:WhatsApp:MaxWebhookBytes: {whatsApp.MaxWebhookBytes} is out of range; allowed: 65536 to 67108864 (Meta sends bodies of up to about 3 MB).");
        }
    }
}
