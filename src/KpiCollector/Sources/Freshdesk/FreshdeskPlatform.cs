using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Storage;

namespace KpiCollector.Sources.Freshdesk;

/// <summary>Freshdesk: tickets from the tickets list, CSAT from the satisfaction ratings (docs/sources.md, "Freshdesk").</summary>
public sealed class FreshdeskPlatform : SourcePlatform<FreshdeskSettings>
{
    public const string Id = "freshdesk";

    /// <summary>The Growth plan's 200 requests a minute.</summary>
    public const int RequestsPerMinute = 200;

    public override string Name => Id;

    public override string SettingsSection => "Freshdesk";

    public override int DefaultRequestsPerMinute => RequestsPerMinute;

    public override void Validate(SourceContext source, List<string> failures)
    {
        var key = source.Key;
        var freshdesk = source.Settings<FreshdeskSettings>();
        SettingsRules.Range($"{key}:Freshdesk:TicketsRequestsPerMinute", freshdesk.TicketsRequestsPerMinute, 1, 10_000, failures, "Freshdesk allows Growth 20, Pro 100, Enterprise 200");
        SettingsRules.Range($"{key}:Freshdesk:PerPage", freshdesk.PerPage, 1, 100, failures);
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

        SettingsRules.OpenSetInterval($"{key}:Freshdesk:OpenSetInterval", freshdesk.OpenSetInterval, failures);
    }

    public override ISource Create(SourceContext source, IServiceProvider services) => new FreshdeskSource(
        source.Options,
        source.Index,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<FreshdeskSource>>(),
        openSet: services.GetService<IOpenConversations>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken) =>
        FreshdeskCheck.CheckAsync(source.Options, source.Index, check, cancellationToken);

    public override Func<string, string> TicketLink(SourceContext source)
    {
        var root = source.BaseUrlRoot;
        return id => $"{root}/a/tickets/{Uri.EscapeDataString(id)}";
    }
}
