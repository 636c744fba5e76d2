using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// The WhatsApp Business Platform (Cloud API): analytics polled with a system-user token, messages and statuses from
/// signed webhooks on <c>/webhooks/whatsapp/{source}</c> (docs/sources.md, "WhatsApp").
/// </summary>
public sealed class WhatsAppPlatform : SourcePlatform<WhatsAppSettings>
{
    public const string Id = "whatsapp";

    /// <summary>The Graph API's business-use-case budget as the collector spends it: about 200 calls an hour.</summary>
    public const int RequestsPerMinute = 3;

    public override string Name => Id;

    public override string SettingsSection => "WhatsApp";

    public override int DefaultRequestsPerMinute => RequestsPerMinute;

    public override bool HasDefaultBaseUrl => true;

    public override string BaseUrlExample => WhatsAppSettings.DefaultBaseUrl;

    /// <summary>A webhook-only source (no analytics) needs no API token.</summary>
    public override bool NeedsCredential(SourceOptions source) => source.SettingsOf<WhatsAppSettings>().Analytics;

    public override void Validate(SourceContext source, List<string> failures)
    {
        var key = source.Key;
        var whatsApp = source.Settings<WhatsAppSettings>();
        if (string.IsNullOrWhiteSpace(whatsApp.WabaId) || !whatsApp.WabaId.Trim().All(char.IsAsciiDigit))
        {
            failures.Add($"{key}:WhatsApp:WabaId: required for platform 'whatsapp': the WhatsApp Business Account id, digits only (Business Manager > WhatsApp accounts), e.g. 102290129340398.");
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(whatsApp.ApiVersion ?? "", @"^v\d{1,3}\.\d$"))
        {
            failures.Add($"{key}:WhatsApp:ApiVersion: '{whatsApp.ApiVersion}' is not a Graph API version; use the form v23.0.");
        }

        SettingsRules.Duration($"{key}:WhatsApp:AnalyticsInterval", whatsApp.AnalyticsInterval, failures);
        SettingsRules.Duration($"{key}:WhatsApp:ServiceWindow", whatsApp.ServiceWindow, failures);
        SettingsRules.Duration($"{key}:WhatsApp:WebhookBodyTimeout", whatsApp.WebhookBodyTimeout, failures);
        SettingsRules.Range($"{key}:WhatsApp:MaxConcurrentWebhooks", whatsApp.MaxConcurrentWebhooks, 1, 1024, failures);
        SettingsRules.Duration($"{key}:WhatsApp:InboxRetention", whatsApp.InboxRetention, failures);
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

    /// <summary>The store keeps the inbox; without a store (tools, tests) there is none and the source only polls analytics.</summary>
    public override void AddServices(IServiceCollection services) =>
        services.TryAddSingleton<IWhatsAppInbox>(sp => sp.GetService<IStore>()!);

    public override ISource Create(SourceContext source, IServiceProvider services) => new WhatsAppSource(
        source.Options,
        source.Index,
        services.GetService<IWhatsAppInbox>(),
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<WhatsAppSource>>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken) =>
        WhatsAppCheck.CheckAsync(source.Options, source.Index, check, cancellationToken);

    public override void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapWebhookEndpoints();
}
