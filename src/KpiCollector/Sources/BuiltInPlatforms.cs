using KpiCollector.Sources.Bitrix24;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Sources.Customers;
using KpiCollector.Sources.EDesk;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Interakt;
using KpiCollector.Sources.Rest;
using KpiCollector.Sources.Simulator;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Sources.Zendesk;

namespace KpiCollector.Sources;

/// <summary>The platforms this build reads: one registration line each, and the only place that names them all.</summary>
public static class BuiltInPlatforms
{
    public static IServiceCollection AddBuiltInPlatforms(this IServiceCollection services) => services
        .AddPlatform<ZendeskPlatform>()
        .AddPlatform<FreshdeskPlatform>()
        .AddPlatform<ChatwootPlatform>()
        .AddPlatform<WhatsAppPlatform>()
        .AddPlatform<SimulatorPlatform>()
        .AddPlatform<CustomersPlatform>()
        .AddPlatform<RestPlatform>()
        .AddPlatform<InteraktPlatform>()
        .AddPlatform<EDeskPlatform>()
        .AddPlatform<Bitrix24Platform>();

    /// <summary>The catalog of the built-in platforms, for code that runs without the host (tests, tools).</summary>
    public static PlatformCatalog Catalog()
    {
        var services = new ServiceCollection().AddBuiltInPlatforms();
        return new PlatformCatalog(services.Where(d => d.ServiceType == typeof(SourcePlatform)).Select(d => (SourcePlatform)d.ImplementationInstance!));
    }
}
