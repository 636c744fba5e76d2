using KpiCollector.Sources;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Support;

/// <summary>The source factory as the host builds it (the built-in platforms), without the host.</summary>
public static class TestSourceFactory
{
    /// <param name="store">Given to the connectors as their open set and the WhatsApp inbox; without it they only poll.</param>
    public static SourceFactory Create(SqliteStore? store = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection().AddBuiltInPlatforms();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        if (store is not null)
        {
            services.AddSingleton<IOpenConversations>(store);
            services.AddSingleton<IWhatsAppInbox>(store);
        }

        var provider = services.BuildServiceProvider();
        return new SourceFactory(provider.GetRequiredService<PlatformCatalog>(), provider);
    }
}
