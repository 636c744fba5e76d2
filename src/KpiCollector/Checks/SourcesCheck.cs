using KpiCollector.Configuration;
using KpiCollector.Sources;

namespace KpiCollector.Checks;

/// <summary>
/// <c>check sources</c>: for each configured source, the cheapest authenticated request its platform allows, made
/// with the connector's own HTTP settings and credential, one source after the other. Nothing is written anywhere: the
/// store is not opened and no cursor is read.
/// </summary>
public static class SourcesCheck
{
    /// <summary>Checks every source and writes one block per source; true when every source can be polled.</summary>
    public static async Task<bool> RunAsync(KpiCollectorOptions options, PlatformCatalog catalog, TextWriter output, CancellationToken cancellationToken)
    {
        if (options.DemoMode)
        {
            output.WriteLine("No source is configured (KpiCollector:Sources is empty): the collector would run in DEMO MODE on the built-in simulator; nothing to ask.");
            return true;
        }

        var pollable = 0;
        for (var i = 0; i < options.Sources.Count; i++)
        {
            var check = await CheckAsync(options.Sources[i], i, options, catalog, cancellationToken);
            check.WriteTo(output);
            output.WriteLine();
            pollable += check.Pollable ? 1 : 0;
        }

        output.WriteLine($"{pollable} of {options.Sources.Count} source{(options.Sources.Count == 1 ? "" : "s")} can be polled.");
        return pollable == options.Sources.Count;
    }

    public static async Task<SourceCheck> CheckAsync(SourceOptions source, int index, KpiCollectorOptions options, PlatformCatalog catalog, CancellationToken cancellationToken)
    {
        var platform = source.Platform.Trim().ToLowerInvariant();
        var check = new SourceCheck { Name = source.Name, Platform = platform, Key = $"{KpiCollectorOptions.SectionName}:Sources:{index}" };
        try
        {
            await catalog.Get(source).CheckAsync(new SourceContext(source, index, options), check, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            // An unreadable credential file: the message names the key and the path, never the content.
            check.Authenticated = false;
            check.Identity = ex.Message;
        }

        return check;
    }
}
