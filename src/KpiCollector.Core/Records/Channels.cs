using System.Collections.Frozen;

namespace KpiCollector.Core.Records;

/// <summary>The normalized channel names (docs/metrics.md, "Normalized records"), plus the <c>all</c> aggregate label value.</summary>
public static class Channels
{
    public const string WhatsApp = "whatsapp";
    public const string Email = "email";
    public const string Chat = "chat";
    public const string Phone = "phone";
    public const string Web = "web";
    public const string Social = "social";
    public const string Sms = "sms";
    public const string Api = "api";
    public const string Other = "other";

    /// <summary>The label value of the series that aggregates every channel of a source.</summary>
    public const string All = "all";

    public static IReadOnlyList<string> Known { get; } =
        [WhatsApp, Email, Chat, Phone, Web, Social, Sms, Api, Other];

    /// <summary>Returns the normalized channel, folding anything unknown into <see cref="Other"/>.</summary>
    public static string Normalize(string? channel) =>
        channel is not null && ByName.TryGetValue(channel, out var known) ? known : Other;

    // Every record passes here several times (engine, SLA clocks, outcomes): a hash lookup, not a scan of the names.
    private static readonly FrozenDictionary<string, string> ByName = Known.ToFrozenDictionary(c => c, c => c, StringComparer.OrdinalIgnoreCase);
}
