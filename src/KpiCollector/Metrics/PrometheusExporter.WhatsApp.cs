using KpiCollector.Core.Engine;

namespace KpiCollector.Metrics;

/// <summary>The WhatsApp platform gauges (docs/metrics.md, "WhatsApp platform metrics"; labels <c>source</c> and <c>platform</c> besides the contract's).</summary>
public sealed partial class PrometheusExporter
{
    private GaugeFamily _waMessages = null!;
    private GaugeFamily _waFailures = null!;
    private GaugeFamily _waConversations = null!;
    private GaugeFamily _waCost = null!;

    private void CreateWhatsAppFamilies()
    {
        _waMessages = Family("whatsapp_messages", "Outbound WhatsApp messages sent in the window by their highest delivery status (sent, delivered, read, failed; count), deduplicated by message id, at the send time.", "source", "platform", "status", "window");
        _waFailures = Family("whatsapp_message_failures", "Outbound WhatsApp messages sent in the window that failed, by the platform's error code (count; e.g. 131047 = the 24 h service window had expired), at the send time.", "source", "platform", "error_code", "window");
        _waConversations = Family("whatsapp_conversations", "WhatsApp conversations the Cloud API's conversation_analytics reports in the window, by category and direction (count; daily granularity, so windows of 24h and longer; a day still running counts as reported so far).", "source", "platform", "category", "direction", "window");
        _waCost = Family("whatsapp_cost", "WhatsApp platform cost the Cloud API's pricing_analytics (or conversation_analytics) reports in the window, by currency and pricing category (currency units; windows of 24h and longer); absent when the account does not report cost.", "source", "platform", "currency", "category", "window");
    }

    private void PublishWhatsApp(WhatsAppSnapshot whatsApp)
    {
        foreach (var m in whatsApp.Messages)
        {
            _waMessages.Set(m.Count, m.Source, PlatformOf(m.Source), m.Label, m.Window.Name);
        }

        foreach (var f in whatsApp.Failures)
        {
            _waFailures.Set(f.Count, f.Source, PlatformOf(f.Source), f.Label, f.Window.Name);
        }

        foreach (var c in whatsApp.Conversations)
        {
            _waConversations.Set(c.Count, c.Source, PlatformOf(c.Source), c.Category, c.Direction, c.Window.Name);
        }

        foreach (var c in whatsApp.Cost)
        {
            _waCost.Set((double)c.Amount, c.Source, PlatformOf(c.Source), c.Currency, c.Category, c.Window.Name);
        }
    }
}
