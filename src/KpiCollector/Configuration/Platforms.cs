namespace KpiCollector.Configuration;

/// <summary>The platform names a source may have (the <c>platform</c> label).</summary>
public static class Platforms
{
    public const string Zendesk = "zendesk";
    public const string Freshdesk = "freshdesk";
    public const string Chatwoot = "chatwoot";
    public const string WhatsApp = "whatsapp";
    public const string Simulator = "simulator";

    /// <summary>A customers feed (JSON file or URL) for retention and churn.</summary>
    public const string Customers = "customers";

    public static IReadOnlyList<string> All { get; } = [Zendesk, Freshdesk, Chatwoot, WhatsApp, Simulator, Customers];

    /// <summary>Helpdesk platforms reached over HTTP, which need a base URL and credentials.</summary>
    public static bool IsRemote(string platform) => platform is not (Simulator or Customers);
}
