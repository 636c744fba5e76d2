using System.Text.RegularExpressions;
using KpiCollector.Core.Time;
using Microsoft.Extensions.Options;
using Quartz;

namespace KpiCollector.Configuration;

/// <summary>
/// Checks the whole <c>KpiCollector</c> section at start and reports every problem at once, each message naming the
/// configuration key and the values it accepts. Never echoes a credential.
/// </summary>
public sealed partial class KpiCollectorOptionsValidator : IValidateOptions<KpiCollectorOptions>
{
    private const string S = KpiCollectorOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, KpiCollectorOptions options)
    {
        var failures = new List<string>();
        ValidateWindows(options, failures);
        ValidateDuration($"{S}:BucketWidth", options.BucketWidth, failures);
        ValidateDuration($"{S}:RefreshInterval", options.RefreshInterval, failures);
        if (string.IsNullOrWhiteSpace(options.Store.Path))
        {
            failures.Add($"{S}:Store:Path: must name the SQLite file, e.g. data/kpicollector.db.");
        }

        ValidateSimulator($"{S}:Simulator", options.Simulator, failures);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.Sources.Count; i++)
        {
            ValidateSource(i, options.Sources[i], seen, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateWindows(KpiCollectorOptions options, List<string> failures)
    {
        if (options.Windows.Count == 0)
        {
            failures.Add($"{S}:Windows: the window list is empty; give at least one window, e.g. [\"1h\", \"24h\", \"7d\", \"30d\"].");
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        Durations.TryParse(options.BucketWidth, out var bucket);
        for (var i = 0; i < options.Windows.Count; i++)
        {
            var text = options.Windows[i];
            if (!Durations.TryParse(text, out var window))
            {
                failures.Add($"{S}:Windows:{i}: '{text}' is not a window; use {Durations.Syntax}.");
            }
            else if (!names.Add(text.Trim()))
            {
                failures.Add($"{S}:Windows:{i}: '{text}' is listed twice; each window must be unique.");
            }
            else if (bucket > TimeSpan.Zero && window.Ticks % bucket.Ticks != 0)
            {
                failures.Add($"{S}:Windows:{i}: '{text}' is not a whole multiple of {S}:BucketWidth ({options.BucketWidth}).");
            }
        }
    }

    private static void ValidateSource(int i, SourceOptions source, Dictionary<string, int> seen, List<string> failures)
    {
        var key = $"{S}:Sources:{i}";
        if (string.IsNullOrWhiteSpace(source.Name) || !SourceName().IsMatch(source.Name))
        {
            failures.Add($"{key}:Name: '{source.Name}' is not a valid source name; use 1-64 lower-case letters, digits, '-' or '_', starting with a letter.");
        }
        else if (seen.TryGetValue(source.Name, out var first))
        {
            failures.Add($"{key}:Name: '{source.Name}' is already used by {S}:Sources:{first}; source names must be unique.");
        }
        else
        {
            seen[source.Name] = i;
        }

        var platform = source.Platform?.Trim().ToLowerInvariant() ?? "";
        if (!Platforms.All.Contains(platform))
        {
            failures.Add($"{key}:Platform: '{source.Platform}' is not a known platform; allowed values: {string.Join(", ", Platforms.All)}.");
        }
        else if (Platforms.IsRemote(platform))
        {
            if (!Uri.TryCreate(source.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"{key}:BaseUrl: required for platform '{platform}': an absolute http(s) URL such as https://acme.{platform}.com.");
            }

            if (string.IsNullOrWhiteSpace(source.ApiToken) && string.IsNullOrWhiteSpace(source.ApiTokenFile))
            {
                failures.Add($"{key}:ApiToken: credentials are required for platform '{platform}'; set the environment variable KPICOLLECTOR__SOURCES__{i}__APITOKEN or {key}:ApiTokenFile.");
            }
            else if (!string.IsNullOrWhiteSpace(source.ApiTokenFile) && !File.Exists(source.ApiTokenFile))
            {
                failures.Add($"{key}:ApiTokenFile: the file '{source.ApiTokenFile}' does not exist.");
            }

            ValidateRemote(key, platform, source, failures);
        }

        if (!string.IsNullOrWhiteSpace(source.Cron))
        {
            if (!CronExpression.IsValidExpression(source.Cron))
            {
                failures.Add($"{key}:Cron: '{source.Cron}' is not a Quartz cron expression (six or seven fields, seconds first, e.g. '0 */5 * * * ?').");
            }
        }
        else
        {
            ValidateDuration($"{key}:Interval", source.Interval, failures);
        }

        if (source.Simulator is not null)
        {
            ValidateSimulator($"{key}:Simulator", source.Simulator, failures);
        }
    }

    private static void ValidateSimulator(string key, SimulatorSettings sim, List<string> failures)
    {
        if (!(sim.ArrivalsPerHour > 0 && sim.ArrivalsPerHour <= 100_000))
        {
            failures.Add($"{key}:ArrivalsPerHour: {sim.ArrivalsPerHour} is out of range; allowed: more than 0, at most 100000.");
        }

        if (sim.Agents is < 1 or > 10_000)
        {
            failures.Add($"{key}:Agents: {sim.Agents} is out of range; allowed: 1 to 10000.");
        }

        if (sim.ChatConcurrency is < 1 or > 20)
        {
            failures.Add($"{key}:ChatConcurrency: {sim.ChatConcurrency} is out of range; allowed: 1 to 20.");
        }

        if (sim.BotDeflection is < 0 or > 1)
        {
            failures.Add($"{key}:BotDeflection: {sim.BotDeflection} is out of range; allowed: 0 to 1.");
        }

        ValidateDuration($"{key}:Backfill", sim.Backfill, failures);
        ValidateDuration($"{key}:Lag", sim.Lag, failures);
        ValidateScenarios($"{key}:Surges", sim.Surges, isSurge: true, failures);
        ValidateScenarios($"{key}:Outages", sim.Outages, isSurge: false, failures);
    }

    private static void ValidateScenarios(string key, List<ScenarioSettings> scenarios, bool isSurge, List<string> failures)
    {
        for (var i = 0; i < scenarios.Count; i++)
        {
            var s = scenarios[i];
            if (!Durations.TryParseNonNegative(s.StartAfter, out _))
            {
                failures.Add($"{key}:{i}:StartAfter: '{s.StartAfter}' is not a duration; use 0s or {Durations.Syntax}.");
            }

            ValidateDuration($"{key}:{i}:Duration", s.Duration, failures);
            if (isSurge && !(s.Multiplier > 0 && s.Multiplier <= 100))
            {
                failures.Add($"{key}:{i}:Multiplier: {s.Multiplier} is out of range; allowed: more than 0, at most 100.");
            }
        }
    }

    private static void ValidateDuration(string key, string? value, List<string> failures)
    {
        if (!Durations.TryParse(value, out _))
        {
            failures.Add($"{key}: '{value}' is not a positive duration; use {Durations.Syntax}.");
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex SourceName();
}
