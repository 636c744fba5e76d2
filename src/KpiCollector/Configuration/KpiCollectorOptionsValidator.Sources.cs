using KpiCollector.Core.Time;
using KpiCollector.Sources;

namespace KpiCollector.Configuration;

/// <summary>
/// The common keys of sources reached over HTTP: base URL, credential, timeout, budget, retries, backfill and
/// authentication mode. Each platform checks its own keys (<see cref="SourcePlatform.Validate"/>).
/// </summary>
public sealed partial class KpiCollectorOptionsValidator
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(10);

    private static void ValidateRemote(int index, SourcePlatform platform, SourceOptions source, List<string> failures)
    {
        var key = SourceKeys.Of(index);
        var defaultUrl = platform.HasDefaultBaseUrl && string.IsNullOrWhiteSpace(source.BaseUrl);
        if (!defaultUrl && (!Uri.TryCreate(source.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            failures.Add($"{key}:BaseUrl: required for platform '{platform.Name}': an absolute http(s) URL such as {platform.BaseUrlExample}.");
        }

        if (platform.NeedsCredential(source) && string.IsNullOrWhiteSpace(source.ApiToken) && string.IsNullOrWhiteSpace(source.ApiTokenFile))
        {
            failures.Add($"{key}:ApiToken: credentials are required for platform '{platform.Name}'; set the environment variable KPICOLLECTOR__SOURCES__{index}__APITOKEN or {key}:ApiTokenFile.");
        }
        else if (!string.IsNullOrWhiteSpace(source.ApiTokenFile) && !File.Exists(source.ApiTokenFile))
        {
            failures.Add($"{key}:ApiTokenFile: the file '{source.ApiTokenFile}' does not exist.");
        }

        if (!Durations.TryParse(source.Timeout, out var timeout) || timeout > MaxTimeout)
        {
            failures.Add($"{key}:Timeout: '{source.Timeout}' is not a timeout; use {Durations.Syntax}, at most 10m.");
        }

        if (source.RequestsPerMinute is < 1 or > 100_000)
        {
            failures.Add($"{key}:RequestsPerMinute: {source.RequestsPerMinute} is out of range; allowed: 1 to 100000 (default for {platform.Name}: {platform.DefaultRequestsPerMinute}).");
        }

        SettingsRules.Range($"{key}:MaxRetries", source.MaxRetries, 0, 10, failures);
        if (!Durations.TryParse(source.Backfill, out _))
        {
            failures.Add($"{key}:Backfill: '{source.Backfill}' is not a positive duration; use {Durations.Syntax}.");
        }

        if (!platform.HasAuthModes && !string.IsNullOrWhiteSpace(source.AuthMode))
        {
            failures.Add($"{key}:AuthMode: '{source.AuthMode}' is not used by platform '{platform.Name}', which authenticates one way only; leave it empty.");
        }
    }
}
