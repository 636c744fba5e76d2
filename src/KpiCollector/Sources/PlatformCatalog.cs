using KpiCollector.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KpiCollector.Sources;

/// <summary>The platforms this build can read, by name: the only list of them the host has.</summary>
public sealed class PlatformCatalog
{
    private readonly Dictionary<string, SourcePlatform> _byName = new(StringComparer.Ordinal);

    public PlatformCatalog(IEnumerable<SourcePlatform> platforms)
    {
        foreach (var platform in platforms)
        {
            if (!_byName.TryAdd(platform.Name, platform))
            {
                throw new InvalidOperationException($"The platform '{platform.Name}' is registered twice.");
            }
        }
    }

    /// <summary>The registered platform names, in registration order.</summary>
    public IReadOnlyList<string> Names => [.. _byName.Keys];

    /// <summary>The platform a source names (trimmed, case-insensitive), or null when none is registered by that name.</summary>
    public SourcePlatform? Find(string? name) =>
        _byName.GetValueOrDefault(name?.Trim().ToLowerInvariant() ?? "");

    /// <summary>The platform of a source that passed validation.</summary>
    public SourcePlatform Get(SourceOptions source) =>
        Find(source.Platform) ?? throw new InvalidOperationException($"No platform '{source.Platform}' is registered.");

    /// <summary>The problem of a platform name no registered platform has, naming the key and the names there are.</summary>
    public string Unknown(int index, string? platform) =>
        $"{SourceKeys.Of(index)}:Platform: '{platform}' is not a known platform; allowed values: {string.Join(", ", Names)}.";
}

public static class PlatformServiceCollectionExtensions
{
    /// <summary>Registers a platform: its descriptor is all the host needs to bind, check, build and serve its sources.</summary>
    public static IServiceCollection AddPlatform<TPlatform>(this IServiceCollection services)
        where TPlatform : SourcePlatform, new()
    {
        var platform = new TPlatform();
        services.AddSingleton<SourcePlatform>(platform);
        platform.AddServices(services);
        services.TryAddSingleton(sp => new PlatformCatalog(sp.GetServices<SourcePlatform>()));
        return services;
    }
}
