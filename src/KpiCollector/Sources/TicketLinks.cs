using KpiCollector.Configuration;
using Microsoft.Extensions.Options;

namespace KpiCollector.Sources;

/// <summary>
/// The link to a conversation in its platform's own agent interface, built by the platform
/// (<see cref="SourcePlatform.TicketLink"/>) from the source's base URL and the id its connector stored
/// (docs/drilldown.md). Platforms without an agent interface to link to have none.
/// </summary>
public sealed class TicketLinks
{
    private readonly Dictionary<string, Func<string, string>> _bySource = new(StringComparer.Ordinal);

    public TicketLinks(IOptions<KpiCollectorOptions> options, PlatformCatalog platforms)
    {
        var configuration = options.Value;
        for (var i = 0; i < configuration.Sources.Count; i++)
        {
            var source = configuration.Sources[i];
            if (!string.IsNullOrWhiteSpace(source.BaseUrl)
                && platforms.Find(source.Platform)?.TicketLink(new SourceContext(source, i, configuration)) is { } link)
            {
                _bySource[source.Name] = link;
            }
        }
    }

    /// <summary>The agent-interface URL of conversation <paramref name="id"/> of <paramref name="source"/>, or null when the platform has none.</summary>
    public string? For(string source, string id) => _bySource.TryGetValue(source, out var link) ? link(id) : null;
}
