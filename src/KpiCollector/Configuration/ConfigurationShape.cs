using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using KpiCollector.Sources;

namespace KpiCollector.Configuration;

/// <summary>
/// Checks the <c>KpiCollector</c> section against the shape of <see cref="KpiCollectorOptions"/> before it is bound.
/// The configuration binder skips a list element whose value fails conversion (a source with
/// <c>MaxRetries=four</c> vanishes, and with it maybe every source: demo mode) and throws with a stack trace for a
/// top-level one; here every value that cannot be converted is a failure naming its key, and so are a single value
/// where a list or a section is expected, a source with both <c>Interval</c> and <c>Cron</c>, and a secret written in a
/// settings file or on the command line (<see cref="SecretKeys"/>). Keys that nothing reads (typos) are warnings naming
/// the nearest known key.
/// </summary>
public static class ConfigurationShape
{
    /// <summary>Lists that may also be written as one comma-separated value (handy in an environment variable).</summary>
    private static readonly HashSet<string> CommaLists = new(StringComparer.OrdinalIgnoreCase) { "KpiCollector:Windows", "KpiCollector:Sla:Windows" };

    public static (List<string> Failures, List<string> Warnings) Check(IConfiguration configuration, PlatformCatalog platforms)
    {
        var failures = new List<string>();
        var warnings = new List<string>();
        var root = configuration.GetSection(KpiCollectorOptions.SectionName);
        if (root.Value is { Length: > 0 } && !root.GetChildren().Any())
        {
            failures.Add($"{KpiCollectorOptions.SectionName}: a single value where the section of settings is expected.");
        }

        var found = new Findings(failures, warnings, [], platforms);
        Walk(root, typeof(KpiCollectorOptions), KpiCollectorOptions.SectionName, found);
        foreach (var source in root.GetSection("Sources").GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(source["Interval"]) && !string.IsNullOrWhiteSpace(source["Cron"]))
            {
                failures.Add($"{KpiCollectorOptions.SectionName}:Sources:{source.Key}: both Interval ('{source["Interval"]}') and Cron ('{source["Cron"]}') are set; set one of them.");
            }
        }

        if (configuration is IConfigurationRoot configurationRoot)
        {
            found.Failures.AddRange(SecretKeys.Committed(found.Secrets, configurationRoot.Providers));
            found.Failures.AddRange(SecretKeys.CommittedConnectionStrings(configurationRoot.Providers));
        }

        return (failures, warnings);
    }

    private static void Walk(IConfigurationSection section, Type type, string path, Findings found)
    {
        // Properties the binder never fills (a source's platform settings object) are not keys; a source's platform
        // adds its own section, of its own settings type.
        var keys = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.PropertyType != typeof(object))
            .Select(p => (p.Name, Type: p.PropertyType))
            .ToList();
        if (type == typeof(SourceOptions) && found.Platforms.Find(section["Platform"]) is { SettingsSection: { } name, SettingsType: { } settingsType })
        {
            keys.Add((name, settingsType));
        }

        foreach (var child in section.GetChildren())
        {
            var property = keys.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property.Name is null)
            {
                var nearest = keys.Select(p => (p.Name, Distance: Distance(p.Name.ToLowerInvariant(), child.Key.ToLowerInvariant())))
                    .MinBy(p => p.Distance);
                found.Warnings.Add(nearest.Name is not null && nearest.Distance <= Math.Max(2, child.Key.Length / 3)
                    ? $"{path}:{child.Key}: unknown key, ignored; did you mean {path}:{nearest.Name}?"
                    : $"{path}:{child.Key}: unknown key, ignored.");
                continue;
            }

            if (SecretKeys.IsSecret(property.Name) && !string.IsNullOrEmpty(child.Value))
            {
                found.Secrets.Add(($"{path}:{property.Name}", keys.Any(p => string.Equals(p.Name, property.Name + "File", StringComparison.OrdinalIgnoreCase))));
            }

            CheckValue(child, property.Type, $"{path}:{property.Name}", found);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, string path, Findings found)
    {
        var hasChildren = section.GetChildren().Any();
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (Dictionary(target) is { } valueType)
        {
            foreach (var entry in section.GetChildren())
            {
                CheckValue(entry, valueType, $"{path}:{entry.Key}", found);
            }

            return;
        }

        if (Element(target) is { } elementType)
        {
            if (!hasChildren)
            {
                if (section.Value is { Length: > 0 } value && !CommaLists.Contains(path))
                {
                    found.Failures.Add($"{path}: '{Short(value)}' is a single value where a list is expected; give its elements as {path}:0, {path}:1, … (environment {Environment(path)}__0__…).");
                }

                return;
            }

            foreach (var element in section.GetChildren())
            {
                if (!int.TryParse(element.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    found.Failures.Add($"{path}:{element.Key}: '{element.Key}' is not a list position; elements of {path} are numbered 0, 1, 2, …");
                    continue;
                }

                CheckValue(element, elementType, $"{path}:{element.Key}", found);
            }

            return;
        }

        if (IsScalar(target))
        {
            if (hasChildren)
            {
                found.Failures.Add($"{path}: a section where a single value is expected.");
                return;
            }

            if (section.Value is { Length: > 0 } text && !Converts(text, target))
            {
                found.Failures.Add($"{path}: '{Short(text)}' is not {Describe(target)}.");
            }

            return;
        }

        if (!hasChildren && section.Value is { Length: > 0 } single)
        {
            found.Failures.Add($"{path}: '{Short(single)}' is a single value where a section of settings is expected.");
            return;
        }

        Walk(section, target, path, found);
    }

    /// <summary>What the walk found; <see cref="Secrets"/> lists each secret key that has a value, and whether the key has a File variant.</summary>
    private sealed record Findings(List<string> Failures, List<string> Warnings, List<(string Key, bool HasFile)> Secrets, PlatformCatalog Platforms);

    private static bool IsScalar(Type t) => t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(TimeSpan) || t == typeof(Uri);

    private static Type? Element(Type t)
    {
        if (t == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(t))
        {
            return null;
        }

        if (t.IsArray)
        {
            return t.GetElementType();
        }

        return t.IsGenericType && t.GetGenericArguments() is [var e] ? e : null;
    }

    private static Type? Dictionary(Type t) =>
        t.IsGenericType && t.GetGenericTypeDefinition() is var d && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            ? t.GetGenericArguments()[1]
            : null;

    private static bool Converts(string text, Type type)
    {
        if (type == typeof(string))
        {
            return true;
        }

        try
        {
            _ = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(text);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException || ex.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type t) => t switch
    {
        _ when t == typeof(int) || t == typeof(long) || t == typeof(short) => "a whole number",
        _ when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "a number (with a dot for decimals, e.g. 0.9)",
        _ when t == typeof(bool) => "true or false",
        _ when t.IsEnum => "one of " + string.Join(", ", Enum.GetNames(t)),
        _ => "a valid " + t.Name,
    };

    private static string Environment(string path) => path.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

    private static string Short(string s) => s.Length > 60 ? s[..60] + "…" : s;

    /// <summary>Levenshtein distance, for the nearest known key.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
