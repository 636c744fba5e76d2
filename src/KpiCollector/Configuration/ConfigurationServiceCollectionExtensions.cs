using KpiCollector.Core.Engine;
using KpiCollector.Sources;
using Microsoft.Extensions.Options;

namespace KpiCollector.Configuration;

public static class ConfigurationServiceCollectionExtensions
{
    /// <summary>Binds and validates the <c>KpiCollector</c> section; an invalid section stops the start.</summary>
    public static IServiceCollection AddKpiCollectorOptions(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<KpiCollectorOptions>, KpiCollectorOptionsValidator>();
        services.AddOptions<KpiCollectorOptions>()
            .Configure<IConfiguration, PlatformCatalog>(RejectMisshapenValues)
            .BindConfiguration(KpiCollectorOptions.SectionName)
            .Configure<IConfiguration>(ApplyWindowDefaults)
            .Configure<IConfiguration, PlatformCatalog>(BindPlatformSettings)
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Runs before the binder, which would skip a list element whose value does not convert, or throw for a top-level
    /// one: every such value stops the start with its key (<see cref="ConfigurationShape"/>).
    /// </summary>
    private static void RejectMisshapenValues(KpiCollectorOptions options, IConfiguration configuration, PlatformCatalog platforms)
    {
        var (failures, _) = ConfigurationShape.Check(configuration, platforms);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(KpiCollectorOptions.SectionName, typeof(KpiCollectorOptions), failures);
        }
    }

    /// <summary>Each source's platform binds its own section (<c>KpiCollector:Sources:N:&lt;SettingsSection&gt;</c>).</summary>
    private static void BindPlatformSettings(KpiCollectorOptions options, IConfiguration configuration, PlatformCatalog platforms)
    {
        for (var i = 0; i < options.Sources.Count; i++)
        {
            if (platforms.Find(options.Sources[i].Platform) is { SettingsSection: { } section } platform)
            {
                options.Sources[i].Settings = platform.BindSettings(configuration.GetSection($"{SourceKeys.Of(i)}:{section}"));
            }
        }
    }

    /// <summary>
    /// Lists cannot be emptied or replaced well through the binder, so windows get explicit rules: absent means the
    /// defaults; a plain string (handy in an environment variable) is a comma-separated list; an empty string is an
    /// empty list, which validation rejects.
    /// </summary>
    private static void ApplyWindowDefaults(KpiCollectorOptions options, IConfiguration configuration)
    {
        options.Windows = WindowList(configuration, "Windows", options.Windows, KpiWindow.Defaults);
        options.Sla.Windows = WindowList(configuration, "Sla:Windows", options.Sla.Windows, KpiWindow.SlaDefaults);
        if (!configuration.GetSection($"{KpiCollectorOptions.SectionName}:Sla:Policies").Exists())
        {
            options.Sla.Policies = SlaOptions.Defaults;
        }
    }

    private static List<string> WindowList(IConfiguration configuration, string key, List<string> bound, IReadOnlyList<KpiWindow> defaults)
    {
        var section = configuration.GetSection($"{KpiCollectorOptions.SectionName}:{key}");
        if (section.GetChildren().Any())
        {
            return bound;
        }

        return section.Value switch
        {
            null => defaults.Select(w => w.Name).ToList(),
            var text => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        };
    }
}
