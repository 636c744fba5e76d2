using KpiCollector.Configuration;
using KpiCollector.Sources.Customers;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Simulator;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;
using KpiCollector.Sources.Zendesk;
using Microsoft.Extensions.Options;

namespace KpiCollector.Sources;

/// <summary>Creates the configured sources; in demo mode, one simulator source named <c>demo</c>.</summary>
public interface ISourceFactory
{
    IReadOnlyList<ISource> Create(KpiCollectorOptions options);
}

/// <remarks>
/// The store is given to sources that keep an inbox (WhatsApp webhooks) and, read-only, to the helpdesk connectors that
/// reconcile their open set with the platform; without it they only poll.
/// </remarks>
public sealed class SourceFactory(TimeProvider time, ILoggerFactory loggers, SqliteStore? store = null) : ISourceFactory
{
    public const string DemoSourceName = "demo";

    public IReadOnlyList<ISource> Create(KpiCollectorOptions options)
    {
        if (options.DemoMode)
        {
            return [new SimulatorSource(DemoSourceName, options.Simulator, time)];
        }

        return options.Sources.Select((s, i) => Create(s, i, options)).ToList();
    }

    /// <summary>
    /// The configuration problems only the factory knows of (a platform name it has no connector for), in the words the
    /// start uses; <c>check config</c> asks the same, so a configuration it passes is one the start can build.
    /// </summary>
    public static IReadOnlyList<string> Unsupported(KpiCollectorOptions options) =>
        [.. options.Sources.Select((s, i) => (Platform: s.Platform.Trim().ToLowerInvariant(), Index: i))
            .Where(s => !Platforms.All.Contains(s.Platform))
            .Select(s => UnsupportedMessage(s.Index, s.Platform))];

    private static string UnsupportedMessage(int index, string platform) =>
        $"{KpiCollectorOptions.SectionName}:Sources:{index}:Platform: the '{platform}' connector is not part of this build yet; available: {Platforms.Zendesk}, {Platforms.Freshdesk}, {Platforms.Chatwoot}, {Platforms.WhatsApp}, {Platforms.Simulator}, {Platforms.Customers}.";

    private ISource Create(SourceOptions source, int index, KpiCollectorOptions options) =>
        source.Platform.Trim().ToLowerInvariant() switch
        {
            Platforms.Simulator => new SimulatorSource(source.Name, source.Simulator ?? options.Simulator, time),
            Platforms.Customers => new CustomersFeedSource(source.Name, source, Credentials.Read(source), time),
            Platforms.Zendesk => new ZendeskSource(source, index, time, loggers.CreateLogger<ZendeskSource>(), openSet: store),
            Platforms.Freshdesk => new FreshdeskSource(source, index, time, loggers.CreateLogger<FreshdeskSource>(), openSet: store),
            Platforms.Chatwoot => new ChatwootSource(source, index, time, loggers.CreateLogger<ChatwootSource>(), openSet: store),
            Platforms.WhatsApp => new WhatsAppSource(source, index, store, time, loggers.CreateLogger<WhatsAppSource>()),
            var platform => throw new OptionsValidationException(
                KpiCollectorOptions.SectionName,
                typeof(KpiCollectorOptions),
                [UnsupportedMessage(index, platform)]),
        };
}
