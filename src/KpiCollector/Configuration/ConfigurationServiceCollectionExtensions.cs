using KpiCollector.Core.Engine;
using KpiCollector.Core.Time;
using Microsoft.Extensions.Options;

namespace KpiCollector.Configuration;

public static class ConfigurationServiceCollectionExtensions
{
    /// <summary>Binds and validates the <c>KpiCollector</c> section; an invalid section stops the start.</summary>
    public static IServiceCollection AddKpiCollectorOptions(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<KpiCollectorOptions>, KpiCollectorOptionsValidator>();
        services.AddOptions<KpiCollectorOptions>()
            .BindConfiguration(KpiCollectorOptions.SectionName)
            .Configure<IConfiguration>(ApplyWindowDefaults)
            .ValidateOnStart();
        return services;
    }

    /// <summary>The engine's view of the validated options.</summary>
    public static EngineOptions ToEngineOptions(this KpiCollectorOptions options) => new()
    {
        Windows = options.Windows.Select(KpiWindow.Parse).ToList(),
        BucketWidth = Durations.Parse(options.BucketWidth),
        Surveys = new SurveyScoring { CsatSatisfiedThreshold = options.Surveys.CsatSatisfiedThreshold },
    };

    /// <summary>
    /// Lists cannot be emptied or replaced well through the binder, so windows get explicit rules: absent means the
    /// defaults; a plain string (handy in an environment variable) is a comma-separated list; an empty string is an
    /// empty list, which validation rejects.
    /// </summary>
    private static void ApplyWindowDefaults(KpiCollectorOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection($"{KpiCollectorOptions.SectionName}:Windows");
        if (section.GetChildren().Any())
        {
            return;
        }

        options.Windows = section.Value switch
        {
            null => KpiWindow.Defaults.Select(w => w.Name).ToList(),
            var text => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        };
    }
}
