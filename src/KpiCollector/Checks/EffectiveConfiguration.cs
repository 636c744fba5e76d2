using System.Collections;
using System.Globalization;
using System.Reflection;
using KpiCollector.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.FileProviders;
using KpiCollector.Sources;

namespace KpiCollector.Checks;

/// <summary>One leaf of the bound configuration: its key, its value as printed (secrets already redacted), and where it came from.</summary>
public sealed record ConfigurationEntry(string Key, string Value, string Origin);

/// <summary>
/// The configuration the collector would run with, leaf by leaf: every value of the bound <see cref="KpiCollectorOptions"/>
/// (defaults included), with the configuration source that set it, and every secret shown as <c>***</c>.
/// </summary>
/// <remarks>
/// The values are read from the bound options rather than from the configuration, so a default that no file sets shows
/// too, with the origin <c>default</c>. Secrets: any key whose last part ends in <c>Token</c>, <c>Secret</c>,
/// <c>Password</c> or <c>Key</c> (ApiToken, AppSecret, VerifyToken, ...), and the user and password of a URL
/// (<c>https://***@feed.example.com</c>). Files that hold a secret
/// (<c>ApiTokenFile</c>, <c>AppSecretFile</c>, ...) are shown by their path and never read.
/// </remarks>
public static class EffectiveConfiguration
{
    public const string Redacted = "***";

    /// <summary>The origin of a value no configuration source sets.</summary>
    public const string Default = "default";

    /// <summary>The entries in key order of the options, and the keys set in the configuration that nothing binds (typos).</summary>
    public static (IReadOnlyList<ConfigurationEntry> Entries, IReadOnlyList<string> UnknownKeys) Describe(KpiCollectorOptions options, IConfiguration configuration, PlatformCatalog platforms)
    {
        var providers = configuration is IConfigurationRoot root ? root.Providers.Reverse().ToList() : [];
        var leaves = new List<(string Key, object? Value)>();
        var containers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Walk(KpiCollectorOptions.SectionName, options, typeof(KpiCollectorOptions), leaves, containers, platforms);

        var entries = leaves.Select(l => new ConfigurationEntry(l.Key, Format(l.Key, l.Value), Origin(l.Key, providers)))
            .ToList();
        var known = new HashSet<string>(leaves.Select(l => l.Key), StringComparer.OrdinalIgnoreCase);
        var unknown = configuration.GetSection(KpiCollectorOptions.SectionName).AsEnumerable()
            .Where(kv => kv.Value is not null && !known.Contains(kv.Key) && !containers.Contains(kv.Key))
            .Select(kv => kv.Key)
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
        return (entries, unknown);
    }

    private static string Format(string key, object? value) => value switch
    {
        null => "(not set)",
        _ when SecretKeys.IsSecret(key) => Redacted,
        string url when Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 => url.Replace(uri.UserInfo + "@", Redacted + "@", StringComparison.Ordinal),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static void Walk(string key, object? value, Type type, List<(string, object?)> leaves, HashSet<string> containers, PlatformCatalog platforms)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (value is null || underlying == typeof(string) || underlying.IsPrimitive || underlying.IsEnum || underlying == typeof(decimal))
        {
            leaves.Add((key, value));
            return;
        }

        containers.Add(key);
        switch (value)
        {
            case IDictionary dictionary:
                var entries = dictionary.Keys.Cast<object>().Select(k => Convert.ToString(k, CultureInfo.InvariantCulture)!).Order(StringComparer.Ordinal).ToList();
                if (entries.Count == 0)
                {
                    leaves.Add((key, "(empty)"));
                }

                foreach (var k in entries)
                {
                    var item = dictionary[k];
                    Walk($"{key}:{k}", item, item?.GetType() ?? typeof(object), leaves, containers, platforms);
                }

                return;
            case IList list:
                if (list.Count == 0)
                {
                    leaves.Add((key, "(empty)"));
                }

                for (var i = 0; i < list.Count; i++)
                {
                    Walk($"{key}:{i.ToString(CultureInfo.InvariantCulture)}", list[i], list[i]?.GetType() ?? typeof(object), leaves, containers, platforms);
                }

                return;
        }

        foreach (var property in underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0))
        {
            if (property.PropertyType == typeof(object))
            {
                // A source's platform settings: listed under the platform's own section, as they are configured.
                if (value is SourceOptions source && platforms.Find(source.Platform) is { SettingsSection: { } section, SettingsType: { } settingsType })
                {
                    Walk($"{key}:{section}", source.Settings, settingsType, leaves, containers, platforms);
                }

                continue;
            }

            Walk($"{key}:{property.Name}", property.GetValue(value), property.PropertyType, leaves, containers, platforms);
        }
    }

    /// <summary>
    /// The provider that set the key (the last one wins, as in the binder), or else one that set a parent to a plain
    /// value (a window list given as one comma-separated string); <c>default</c> when none did.
    /// </summary>
    private static string Origin(string key, List<IConfigurationProvider> providers)
    {
        for (var k = key; ; k = k[..k.LastIndexOf(':')])
        {
            foreach (var provider in providers)
            {
                if (provider.TryGet(k, out var value) && (k.Length == key.Length ? value is not null : !string.IsNullOrEmpty(value)))
                {
                    return Describe(provider, k);
                }
            }

            if (k.LastIndexOf(':') <= 0 || k.Equals(KpiCollectorOptions.SectionName, StringComparison.OrdinalIgnoreCase))
            {
                return Default;
            }
        }
    }

    private static string Describe(IConfigurationProvider provider, string key) => provider switch
    {
        JsonConfigurationProvider json => "file " + (json.Source.FileProvider is PhysicalFileProvider files ? Path.Combine(files.Root, json.Source.Path ?? "") : json.Source.Path),
        EnvironmentVariablesConfigurationProvider => $"environment ({EnvironmentName(key)})",
        CommandLineConfigurationProvider => "command line",
        MemoryConfigurationProvider => "in memory",
        _ => provider.GetType().Name,
    };

    /// <summary>The variable that set the key, as spelled in the environment (<c>KPICOLLECTOR__SOURCES__0__APITOKEN</c>).</summary>
    private static string EnvironmentName(string key)
    {
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (name.Replace("__", ":", StringComparison.Ordinal).EndsWith(key, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();
    }
}
