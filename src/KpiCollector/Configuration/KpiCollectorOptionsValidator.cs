using System.Text.RegularExpressions;
using KpiCollector.Core.Time;
using KpiCollector.Sources;
using Microsoft.Extensions.Options;
using Quartz;

namespace KpiCollector.Configuration;

/// <summary>
/// Checks the whole <c>KpiCollector</c> section at start and reports every problem at once, each message naming the
/// configuration key and the values it accepts. Never echoes a credential.
/// </summary>
public sealed partial class KpiCollectorOptionsValidator(PlatformCatalog catalog) : IValidateOptions<KpiCollectorOptions>
{
    private const string S = KpiCollectorOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, KpiCollectorOptions options)
    {
        var failures = new List<string>();
        ValidateDuration($"{S}:BucketWidth", options.BucketWidth, failures);
        ValidateDuration($"{S}:CoarseBucketWidth", options.CoarseBucketWidth, failures);
        if (Durations.TryParse(options.BucketWidth, out var fine) && Durations.TryParse(options.CoarseBucketWidth, out var coarse) && coarse.Ticks % fine.Ticks != 0)
        {
            failures.Add($"{S}:CoarseBucketWidth: '{options.CoarseBucketWidth}' must be a whole multiple of {S}:BucketWidth ({options.BucketWidth}).");
        }

        ValidateWindows($"{S}:Windows", options.Windows, options, failures);
        ValidateWindows($"{S}:Sla:Windows", options.Sla.Windows, options, failures);
        ValidateSla(options.Sla, failures);
        ValidateKpis(options, failures);
        ValidateDuration($"{S}:RefreshInterval", options.RefreshInterval, failures);
        ValidateStore(options.Store, failures);

        if (!Durations.TryParse(options.Leases.Duration, out var lease))
        {
            failures.Add($"{S}:Leases:Duration: '{options.Leases.Duration}' is not a positive duration; use {Durations.Syntax}.");
        }
        else if (lease < TimeSpan.FromSeconds(3) || lease > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{S}:Leases:Duration: '{options.Leases.Duration}' is out of range; give 3s to 10m (a replica renews its leases every third of it).");
        }

        if (options.Leases.ReplicaId is { } replica && (replica.Trim().Length is 0 or > 128 || replica.Any(char.IsControl)))
        {
            failures.Add($"{S}:Leases:ReplicaId: give 1 to 128 printable characters, unique among the replicas (e.g. the pod name), or leave it unset.");
        }

        options.Simulator.Validate($"{S}:Simulator", failures);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.Sources.Count; i++)
        {
            ValidateSource(i, options.Sources[i], options, seen, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateWindows(string key, List<string> windows, KpiCollectorOptions options, List<string> failures)
    {
        if (windows.Count == 0)
        {
            failures.Add($"{key}: the window list is empty; give at least one window, e.g. [\"1h\", \"24h\", \"7d\", \"30d\"].");
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        Durations.TryParse(options.BucketWidth, out var fine);
        Durations.TryParse(options.CoarseBucketWidth, out var coarse);
        for (var i = 0; i < windows.Count; i++)
        {
            var text = windows[i];
            if (!Durations.TryParse(text, out var window))
            {
                failures.Add($"{key}:{i}: '{text}' is not a window; use {Durations.Syntax}.");
            }
            else if (!names.Add(text.Trim()))
            {
                failures.Add($"{key}:{i}: '{text}' is listed twice; each window must be unique.");
            }
            else if (window <= TimeSpan.FromDays(1) && fine > TimeSpan.Zero && window.Ticks % fine.Ticks != 0)
            {
                failures.Add($"{key}:{i}: '{text}' is not a whole multiple of {S}:BucketWidth ({options.BucketWidth}).");
            }
            else if (window > TimeSpan.FromDays(1) && coarse > TimeSpan.Zero && window.Ticks % coarse.Ticks != 0)
            {
                failures.Add($"{key}:{i}: '{text}' is longer than a day and not a whole multiple of {S}:CoarseBucketWidth ({options.CoarseBucketWidth}).");
            }
        }
    }

    private static void ValidateSla(SlaOptions sla, List<string> failures)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < sla.Policies.Count; i++)
        {
            var p = sla.Policies[i];
            var key = $"{S}:Sla:Policies:{i}";
            if (!PolicyName().IsMatch(p.Name ?? ""))
            {
                failures.Add($"{key}:Name: '{p.Name}' is not a valid policy name; use 1-64 lower-case letters, digits or '_', starting with a letter.");
            }
            else if (names.TryGetValue(p.Name!, out var first))
            {
                failures.Add($"{key}:Name: '{p.Name}' is already used by {S}:Sla:Policies:{first}; policy names must be unique.");
            }
            else
            {
                names[p.Name!] = i;
            }

            if (OptionsMapping.ParseMetric(p.Metric) is null)
            {
                failures.Add($"{key}:Metric: '{p.Metric}' is not an SLA metric; allowed values: first_response, next_response, resolution.");
            }

            ValidateDuration($"{key}:Threshold", p.Threshold, failures);
            if (!(p.Objective > 0 && p.Objective < 1))
            {
                failures.Add($"{key}:Objective: {p.Objective} is out of range; allowed: more than 0 and less than 1 (e.g. 0.95).");
            }

            if (p.AtRiskLead is not null)
            {
                ValidateDuration($"{key}:AtRiskLead", p.AtRiskLead, failures);
            }

            for (var c = 0; c < p.Channels.Count; c++)
            {
                if (!Core.Records.Channels.Known.Contains(p.Channels[c]))
                {
                    failures.Add($"{key}:Channels:{c}: '{p.Channels[c]}' is not a channel; allowed values: {string.Join(", ", Core.Records.Channels.Known)}.");
                }
            }

            if (p.Calendar is not null && OptionsMapping.ToCalendar(p.Calendar, out var error) is null)
            {
                failures.Add($"{key}:Calendar:{error}");
            }
        }
    }

    private static void ValidateKpis(KpiCollectorOptions o, List<string> failures)
    {
        if (!(o.Surveys.CesScaleMax > o.Surveys.CesScaleMin))
        {
            failures.Add($"{S}:Surveys:CesScaleMax: {o.Surveys.CesScaleMax} must be greater than {S}:Surveys:CesScaleMin ({o.Surveys.CesScaleMin}).");
        }

        if (o.Kpis.FcrMaxReplies is < 0 or > 100)
        {
            failures.Add($"{S}:Kpis:FcrMaxReplies: {o.Kpis.FcrMaxReplies} is out of range; allowed: 0 to 100.");
        }

        if (o.Kpis.TicketTypesTopN is < 1 or > 50)
        {
            failures.Add($"{S}:Kpis:TicketTypesTopN: {o.Kpis.TicketTypesTopN} is out of range; allowed: 1 to 50.");
        }

        if (o.Kpis.Teams.Count > 50)
        {
            failures.Add($"{S}:Kpis:Teams: {o.Kpis.Teams.Count} teams; at most 50 (each multiplies the exported series).");
        }

        var q = o.Kpis.Quality;
        if (new[] { q.FirstResponseWeight, q.ResolutionWeight, q.FirstContactResolutionWeight, q.SatisfiedWeight }.Any(w => w < 0))
        {
            failures.Add($"{S}:Kpis:Quality: weights must be 0 or more.");
        }

        if (o.Staffing.Concurrency is <= 0 or > 20)
        {
            failures.Add($"{S}:Staffing:Concurrency: {o.Staffing.Concurrency} is out of range; allowed: more than 0, at most 20.");
        }

        if (!CurrencyCode().IsMatch(o.Costs.Currency ?? ""))
        {
            failures.Add($"{S}:Costs:Currency: '{o.Costs.Currency}' is not an ISO 4217 code such as EUR or USD.");
        }

        if (o.Costs.StaffPerAgentHour < 0)
        {
            failures.Add($"{S}:Costs:StaffPerAgentHour: {o.Costs.StaffPerAgentHour} must be 0 or more.");
        }

        for (var i = 0; i < o.Costs.Fixed.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(o.Costs.Fixed[i].Name) || o.Costs.Fixed[i].MonthlyAmount < 0)
            {
                failures.Add($"{S}:Costs:Fixed:{i}: needs a Name and a MonthlyAmount of 0 or more.");
            }
        }
    }

    private void ValidateSource(int i, SourceOptions source, KpiCollectorOptions options, Dictionary<string, int> seen, List<string> failures)
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

        var platform = catalog.Find(source.Platform);
        if (platform is null)
        {
            failures.Add(catalog.Unknown(i, source.Platform));
        }
        else
        {
            var context = new SourceContext(source, i, options);
            if (platform.IsRemote)
            {
                ValidateRemote(i, platform, source, failures);
            }

            platform.Validate(context, failures);
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

    }

    private static void ValidateStore(StoreOptions store, List<string> failures)
    {
        var provider = store.Provider?.Trim().ToLowerInvariant();
        if (provider is not (StoreOptions.Sqlite or StoreOptions.Postgres))
        {
            failures.Add($"{S}:Store:Provider: '{store.Provider}' is not a store provider; use sqlite (the default: one file) or postgres (replicas, docs/scaling.md).");
            return;
        }

        if (provider == StoreOptions.Sqlite)
        {
            if (string.IsNullOrWhiteSpace(store.Path))
            {
                failures.Add($"{S}:Store:Path: must name the SQLite file, e.g. data/kpicollector.db.");
            }

            return;
        }

        var hasString = !string.IsNullOrWhiteSpace(store.ConnectionString);
        var hasFile = !string.IsNullOrWhiteSpace(store.ConnectionStringFile);
        if (hasString && hasFile)
        {
            failures.Add($"{S}:Store:ConnectionString: both it and {S}:Store:ConnectionStringFile are set; set one of them.");
            return;
        }

        if (!hasString && !hasFile)
        {
            failures.Add($"{S}:Store:ConnectionString: the postgres provider needs a connection string; set the environment variable KPICOLLECTOR__STORE__CONNECTIONSTRING or {S}:Store:ConnectionStringFile.");
            return;
        }

        if (hasFile && !File.Exists(store.ConnectionStringFile))
        {
            failures.Add($"{S}:Store:ConnectionStringFile: the file '{store.ConnectionStringFile}' does not exist.");
            return;
        }

        var key = hasFile ? $"{S}:Store:ConnectionStringFile" : $"{S}:Store:ConnectionString";
        if (Storage.Postgres.PostgresConnection.Check(store.EffectiveConnectionString) is { } problem)
        {
            failures.Add($"{key}: {problem}");
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

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex PolicyName();

    [GeneratedRegex("^[A-Za-z]{3}$")]
    private static partial Regex CurrencyCode();
}
