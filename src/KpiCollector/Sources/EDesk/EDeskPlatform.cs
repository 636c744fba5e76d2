using System.Globalization;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Storage;

namespace KpiCollector.Sources.EDesk;

/// <summary>eDesk: tickets, their messages and ratings (docs/sources.md, "eDesk").</summary>
public sealed class EDeskPlatform : SourcePlatform<EDeskSettings>
{
    public const string Id = "edesk";

    /// <summary>eDesk's one public API root; requests go to <c>v1/...</c> under it.</summary>
    public const string DefaultBaseUrl = "https://api.edesk.com";

    /// <summary>Below eDesk's refill of 2 requests a second (120 a minute), leaving room for its burst to refill.</summary>
    public const int RequestsPerMinute = 100;

    public override string Name => Id;

    public override string SettingsSection => "EDesk";

    public override int DefaultRequestsPerMinute => RequestsPerMinute;

    public override bool HasDefaultBaseUrl => true;

    public override string BaseUrlExample => DefaultBaseUrl;

    public override void Validate(SourceContext source, List<string> failures)
    {
        var key = $"{source.Key}:EDesk";
        var edesk = source.Settings<EDeskSettings>();
        if (string.IsNullOrWhiteSpace(edesk.TimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(edesk.TimeZone.Trim(), out _))
        {
            failures.Add($"{key}:TimeZone: '{edesk.TimeZone}' is not a time zone; use the account's IANA id, e.g. Europe/London (eDesk's date filter is a date in it).");
        }

        SettingsRules.Range($"{key}:PageSize", edesk.PageSize, 1, 100, failures);
        SettingsRules.Range($"{key}:MessagesPerPoll", edesk.MessagesPerPoll, 1, 100_000, failures, "each message is one request");
        SettingsRules.Range($"{key}:RatingScaleMax", edesk.RatingScaleMax, 2, 10, failures);
        foreach (var (id, channel) in edesk.Channels)
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                failures.Add($"{key}:Channels:{id}: '{id}' is not an eDesk channel id; use the number from /v1/channels, e.g. 12.");
            }
            else if (!Core.Records.Channels.Known.Contains(channel?.Trim().ToLowerInvariant()))
            {
                failures.Add($"{key}:Channels:{id}: '{channel}' is not a channel; allowed values: {string.Join(", ", Core.Records.Channels.Known)}.");
            }
        }

        SettingsRules.OpenSetInterval($"{key}:OpenSetInterval", edesk.OpenSetInterval, failures);
        foreach (var (status, mapped) in edesk.Statuses)
        {
            if (!Core.Records.ConversationStatuses.LabelValues.Contains(mapped?.Trim().ToLowerInvariant()))
            {
                failures.Add($"{key}:Statuses:{status}: '{mapped}' is not a status; allowed values: {string.Join(", ", Core.Records.ConversationStatuses.LabelValues)}.");
            }
        }
    }

    public override ISource Create(SourceContext source, IServiceProvider services) => new EDeskSource(
        source.Options,
        source.Index,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<EDeskSource>>(),
        openSet: services.GetService<IOpenConversations>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken) =>
        EDeskCheck.CheckAsync(source.Options, source.Index, check, cancellationToken);
}
