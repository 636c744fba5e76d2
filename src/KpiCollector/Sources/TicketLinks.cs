using System.Globalization;
using KpiCollector.Configuration;
using Microsoft.Extensions.Options;

namespace KpiCollector.Sources;

/// <summary>
/// The link to a conversation in its platform's own agent interface, built from the source's base URL and the id its
/// connector stored (docs/drilldown.md): Zendesk <c>{base}/agent/tickets/{id}</c>, Freshdesk <c>{base}/a/tickets/{id}</c>,
/// Chatwoot <c>{base}/app/accounts/{account}/conversations/{id}</c>. WhatsApp threads, the simulator and customers
/// feeds have no agent interface to link to.
/// </summary>
public sealed class TicketLinks
{
    private readonly Dictionary<string, Func<string, string>> _bySource = new(StringComparer.Ordinal);

    public TicketLinks(IOptions<KpiCollectorOptions> options)
    {
        foreach (var source in options.Value.Sources)
        {
            if (string.IsNullOrWhiteSpace(source.BaseUrl))
            {
                continue;
            }

            var root = source.BaseUrl.Trim().TrimEnd('/');
            Func<string, string>? link = source.Platform.Trim().ToLowerInvariant() switch
            {
                Platforms.Zendesk => id => $"{root}/agent/tickets/{Uri.EscapeDataString(id)}",
                Platforms.Freshdesk => id => $"{root}/a/tickets/{Uri.EscapeDataString(id)}",
                Platforms.Chatwoot => id => string.Create(CultureInfo.InvariantCulture, $"{root}/app/accounts/{source.Chatwoot.AccountId}/conversations/{Uri.EscapeDataString(id)}"),
                _ => null,
            };
            if (link is not null)
            {
                _bySource[source.Name] = link;
            }
        }
    }

    /// <summary>The agent-interface URL of conversation <paramref name="id"/> of <paramref name="source"/>, or null when the platform has none.</summary>
    public string? For(string source, string id) => _bySource.TryGetValue(source, out var link) ? link(id) : null;
}
