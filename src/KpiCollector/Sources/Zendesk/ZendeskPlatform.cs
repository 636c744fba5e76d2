using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Core.Time;
using KpiCollector.Storage;

namespace KpiCollector.Sources.Zendesk;

/// <summary>Zendesk Support: tickets from the incremental export, CSAT from ratings or survey responses (docs/sources.md, "Zendesk").</summary>
public sealed class ZendeskPlatform : SourcePlatform<ZendeskSettings>
{
    public const string Id = "zendesk";

    /// <summary>The Team plan's 200 requests a minute.</summary>
    public const int RequestsPerMinute = 200;

    /// <summary>Zendesk rejects an incremental export whose start_time is less than a few minutes old.</summary>
    private static readonly TimeSpan MinBackfill = TimeSpan.FromMinutes(5);

    public override string Name => Id;

    public override string SettingsSection => "Zendesk";

    public override int DefaultRequestsPerMinute => RequestsPerMinute;

    public override bool HasAuthModes => true;

    public override void Validate(SourceContext source, List<string> failures)
    {
        var key = source.Key;
        var options = source.Options;
        if (Durations.TryParse(options.Backfill, out var backfill) && backfill < MinBackfill)
        {
            failures.Add($"{key}:Backfill: '{options.Backfill}' is too short for zendesk, whose incremental export rejects a start time less than 5 minutes old; use 5m or more.");
        }

        var mode = string.IsNullOrWhiteSpace(options.AuthMode) ? ZendeskAuth.Token : options.AuthMode.Trim().ToLowerInvariant();
        if (!ZendeskAuth.Modes.Contains(mode))
        {
            failures.Add($"{key}:AuthMode: '{options.AuthMode}' is not a Zendesk authentication mode; allowed values: {string.Join(", ", ZendeskAuth.Modes)}.");
        }
        else if (mode == ZendeskAuth.Token && string.IsNullOrWhiteSpace(options.Email))
        {
            failures.Add($"{key}:Email: required for Zendesk API-token authentication (AuthMode {ZendeskAuth.Token}): the e-mail of the admin the token acts for; or set {key}:AuthMode to {ZendeskAuth.OAuth} for an OAuth access token.");
        }

        var zendesk = source.Settings<ZendeskSettings>();
        SettingsRules.Range($"{key}:Zendesk:ExportRequestsPerMinute", zendesk.ExportRequestsPerMinute, 1, 1000, failures, "Zendesk allows 10, or 30 with the High Volume API add-on");
        SettingsRules.Range($"{key}:Zendesk:PerPage", zendesk.PerPage, 1, 1000, failures);
        if (!ZendeskSettings.CsatModes.Contains(zendesk.Csat?.Trim().ToLowerInvariant()))
        {
            failures.Add($"{key}:Zendesk:Csat: '{zendesk.Csat}' is not a CSAT mode; allowed values: {string.Join(", ", ZendeskSettings.CsatModes.Where(m => m != ZendeskSettings.CsatNone))}.");
        }

        SettingsRules.Duration($"{key}:Zendesk:CsatOverlap", zendesk.CsatOverlap, failures);
        SettingsRules.OpenSetInterval($"{key}:Zendesk:OpenSetInterval", zendesk.OpenSetInterval, failures);
    }

    public override ISource Create(SourceContext source, IServiceProvider services) => new ZendeskSource(
        source.Options,
        source.Index,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<ZendeskSource>>(),
        openSet: services.GetService<IOpenConversations>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken) =>
        ZendeskCheck.CheckAsync(source.Options, source.Index, check, cancellationToken);

    public override Func<string, string> TicketLink(SourceContext source)
    {
        var root = source.BaseUrlRoot;
        return id => $"{root}/agent/tickets/{Uri.EscapeDataString(id)}";
    }
}
