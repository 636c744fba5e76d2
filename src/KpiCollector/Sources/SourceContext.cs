using KpiCollector.Configuration;

namespace KpiCollector.Sources;

/// <summary>One configured source as its platform sees it: its options, its position, and the whole configuration.</summary>
public sealed record SourceContext(SourceOptions Options, int Index, KpiCollectorOptions Configuration)
{
    /// <summary>The source's configuration key, e.g. <c>KpiCollector:Sources:0</c>, for messages that name a key.</summary>
    public string Key => SourceKeys.Of(Index);

    /// <summary>The configured base URL without trailing slash, the root of links into the platform's interface.</summary>
    public string BaseUrlRoot => (Options.BaseUrl ?? "").Trim().TrimEnd('/');

    /// <summary>The platform's settings of this source (bound at start, or set by the code that built the options).</summary>
    public TSettings Settings<TSettings>()
        where TSettings : class, new() => Options.SettingsOf<TSettings>();
}

/// <summary>The configuration keys of sources.</summary>
public static class SourceKeys
{
    /// <summary><c>KpiCollector:Sources:{index}</c>.</summary>
    public static string Of(int index) => $"{KpiCollectorOptions.SectionName}:Sources:{index}";
}
