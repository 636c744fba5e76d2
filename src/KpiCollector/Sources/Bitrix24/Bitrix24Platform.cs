using KpiCollector.Checks;
using KpiCollector.Configuration;

namespace KpiCollector.Sources.Bitrix24;

/// <summary>
/// Bitrix24 Open Channels: open-line sessions as conversations, from the CRM activities of the open-line provider and
/// each session's history, through an inbound webhook (docs/sources.md, "Bitrix24 Open Channels").
/// </summary>
public sealed class Bitrix24Platform : SourcePlatform<Bitrix24Settings>
{
    public const string Id = "bitrix24";

    /// <summary>
    /// One request a second: half of what the leaky bucket of the plans below Enterprise drains (2 a second, burst
    /// 50), leaving room for the portal's other integrations.
    /// </summary>
    public const int RequestsPerMinute = 60;

    public override string Name => Id;

    public override string SettingsSection => "Bitrix24";

    public override int DefaultRequestsPerMinute => RequestsPerMinute;

    public override string BaseUrlExample => "https://acme.bitrix24.com";

    public override void Validate(SourceContext source, List<string> failures)
    {
        var key = source.Key;
        var bitrix = source.Settings<Bitrix24Settings>();
        if (bitrix.UserId < 1)
        {
            failures.Add($"{key}:Bitrix24:UserId: required for platform 'bitrix24': the user id of the inbound webhook, the number after /rest/ in its URL (https://acme.bitrix24.com/rest/1/<code>/: here 1).");
        }

        if (Uri.TryCreate(source.Options.BaseUrl?.Trim(), UriKind.Absolute, out var url) && url.AbsolutePath.Contains("/rest/", StringComparison.OrdinalIgnoreCase))
        {
            // The whole webhook URL was pasted: its code is a secret, so it is not repeated here.
            failures.Add($"{key}:BaseUrl: looks like an inbound webhook URL (its path has /rest/); set the portal's root (https://acme.bitrix24.com), the user id in {key}:Bitrix24:UserId and the webhook's code in {key}:ApiToken or {key}:ApiTokenFile.");
        }

        SettingsRules.Range($"{key}:Bitrix24:SessionHistoryPerPoll", bitrix.SessionHistoryPerPoll, 1, 10_000, failures, "session histories a poll, 50 a request");
        SettingsRules.Range($"{key}:Bitrix24:MaxPendingSessions", bitrix.MaxPendingSessions, 50, 100_000, failures);
        foreach (var (connector, channel) in bitrix.ConnectorChannels)
        {
            if (!Core.Records.Channels.Known.Contains(channel?.Trim().ToLowerInvariant()))
            {
                failures.Add($"{key}:Bitrix24:ConnectorChannels:{connector}: '{channel}' is not a channel; allowed values: {string.Join(", ", Core.Records.Channels.Known)}.");
            }
        }
    }

    public override ISource Create(SourceContext source, IServiceProvider services) => new Bitrix24Source(
        source.Options,
        source.Index,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<Bitrix24Source>>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken) =>
        Bitrix24Check.CheckAsync(source.Options, source.Index, check, cancellationToken);
}
