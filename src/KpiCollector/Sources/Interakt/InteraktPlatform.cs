using KpiCollector.Configuration;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KpiCollector.Sources.Interakt;

/// <summary>
/// Interakt (interakt.ai), a WhatsApp Business Solution Provider with no API to read conversations: a webhook-only
/// source whose signed deliveries on <c>/webhooks/interakt/{source}</c> become threads the way WhatsApp's do
/// (docs/sources.md, "Interakt").
/// </summary>
public sealed class InteraktPlatform : SourcePlatform<InteraktSettings>
{
    public const string Id = "interakt";

    public override string Name => Id;

    public override string SettingsSection => "Interakt";

    /// <summary>Nothing is requested from Interakt: no base URL, no API token.</summary>
    public override bool IsRemote => false;

    public override void Validate(SourceContext source, List<string> failures)
    {
        var key = source.Key;
        var interakt = source.Settings<InteraktSettings>();
        if (string.IsNullOrWhiteSpace(interakt.SecretKey) && string.IsNullOrWhiteSpace(interakt.SecretKeyFile))
        {
            failures.Add($"{key}:Interakt:SecretKey: required for platform 'interakt': the secret key entered with the webhook URL in Interakt's Developer Settings (environment KPICOLLECTOR__SOURCES__N__INTERAKT__SECRETKEY, or {key}:Interakt:SecretKeyFile).");
        }
        else if (!string.IsNullOrWhiteSpace(interakt.SecretKeyFile) && string.IsNullOrWhiteSpace(interakt.SecretKey) && !File.Exists(interakt.SecretKeyFile))
        {
            failures.Add($"{key}:Interakt:SecretKeyFile: the file '{interakt.SecretKeyFile}' does not exist.");
        }

        SettingsRules.Duration($"{key}:Interakt:ServiceWindow", interakt.ServiceWindow, failures);
        SettingsRules.Duration($"{key}:Interakt:WebhookBodyTimeout", interakt.WebhookBodyTimeout, failures);
        SettingsRules.Duration($"{key}:Interakt:InboxRetention", interakt.InboxRetention, failures);
        SettingsRules.Range($"{key}:Interakt:MaxConcurrentWebhooks", interakt.MaxConcurrentWebhooks, 1, 1024, failures);
        if (interakt.MaxWebhookBytes is < 65_536 or > 64 * 1024 * 1024)
        {
            failures.Add($"{key}:Interakt:MaxWebhookBytes: {interakt.MaxWebhookBytes} is out of range; allowed: 65536 to 67108864.");
        }
    }

    /// <summary>The store keeps the inbox (the same one WhatsApp sources use, rows by source name).</summary>
    public override void AddServices(IServiceCollection services) =>
        services.TryAddSingleton<IWhatsAppInbox>(sp => sp.GetService<IStore>()!);

    public override ISource Create(SourceContext source, IServiceProvider services) => new InteraktSource(
        source.Options,
        source.Index,
        services.GetService<IWhatsAppInbox>(),
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<InteraktSource>>());

    public override void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapInteraktEndpoints();
}
