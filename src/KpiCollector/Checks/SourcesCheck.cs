using KpiCollector.Configuration;
using KpiCollector.Sources;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Http;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Sources.Zendesk;
using RestSharp;

namespace KpiCollector.Checks;

/// <summary>
/// <c>check sources</c>: for each configured source, the cheapest authenticated request its platform allows, made
/// with the connector's own HTTP settings and credential, one source after the other. Nothing is written anywhere: the
/// store is not opened and no cursor is read.
/// </summary>
public static class SourcesCheck
{
    /// <summary>Checks every source and writes one block per source; true when every source can be polled.</summary>
    public static async Task<bool> RunAsync(KpiCollectorOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        if (options.DemoMode)
        {
            output.WriteLine("No source is configured (KpiCollector:Sources is empty): the collector would run in DEMO MODE on the built-in simulator; nothing to ask.");
            return true;
        }

        var pollable = 0;
        for (var i = 0; i < options.Sources.Count; i++)
        {
            var check = await CheckAsync(options.Sources[i], i, options, cancellationToken);
            check.WriteTo(output);
            output.WriteLine();
            pollable += check.Pollable ? 1 : 0;
        }

        output.WriteLine($"{pollable} of {options.Sources.Count} source{(options.Sources.Count == 1 ? "" : "s")} can be polled.");
        return pollable == options.Sources.Count;
    }

    public static async Task<SourceCheck> CheckAsync(SourceOptions source, int index, KpiCollectorOptions options, CancellationToken cancellationToken)
    {
        var platform = source.Platform.Trim().ToLowerInvariant();
        var check = new SourceCheck { Name = source.Name, Platform = platform, Key = $"{KpiCollectorOptions.SectionName}:Sources:{index}" };
        try
        {
            switch (platform)
            {
                case Platforms.Zendesk:
                    await ZendeskCheck.CheckAsync(source, index, check, cancellationToken);
                    break;
                case Platforms.Freshdesk:
                    await FreshdeskCheck.CheckAsync(source, index, check, cancellationToken);
                    break;
                case Platforms.Chatwoot:
                    await ChatwootCheck.CheckAsync(source, index, check, cancellationToken);
                    break;
                case Platforms.WhatsApp:
                    await WhatsAppCheck.CheckAsync(source, index, check, cancellationToken);
                    break;
                case Platforms.Customers:
                    await CustomersAsync(source, index, check, cancellationToken);
                    break;
                default:
                    check.Target = "built-in simulation";
                    check.Reachable = true;
                    check.Notes.Add($"simulated traffic (seed {(source.Simulator ?? options.Simulator).Seed}): always pollable, nothing to ask");
                    break;
            }
        }
        catch (InvalidOperationException ex)
        {
            // An unreadable credential file: the message names the key and the path, never the content.
            check.Authenticated = false;
            check.Identity = ex.Message;
        }

        return check;
    }

    /// <summary>A customers feed: the file exists and can be read, or one GET of the URL answers 2xx.</summary>
    private static async Task CustomersAsync(SourceOptions source, int index, SourceCheck check, CancellationToken cancellationToken)
    {
        var location = new Uri(source.BaseUrl!, UriKind.Absolute);
        if (location.IsFile)
        {
            check.Target = location.LocalPath;
            check.Reachable = File.Exists(location.LocalPath);
            check.Unreachable = check.Reachable ? null : $"the file {location.LocalPath} does not exist ({check.Key}:BaseUrl)";
            try
            {
                if (check.Reachable)
                {
                    await using var stream = File.OpenRead(location.LocalPath);
                    check.Request = $"opened {location.LocalPath} ({stream.Length} bytes)";
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                (check.Reachable, check.Unreachable) = (false, $"the file {location.LocalPath} cannot be read: {ex.Message}");
            }

            return;
        }

        var token = string.IsNullOrWhiteSpace(source.ApiToken) && string.IsNullOrWhiteSpace(source.ApiTokenFile) ? ((string Secret, string Hint)?)null : CredentialSource.Read(source, index);
        var settings = new HttpSourceSettings
        {
            Source = source.Name,
            ConfigurationKey = check.Key,
            BaseUrl = location,
            Credential = token is { } t ? SourceCredential.Bearer(t.Secret, t.Hint) : SourceCredential.None($"{check.Key}:ApiToken (not set)"),
            Timeout = Core.Time.Durations.Parse(source.Timeout),
        };
        var response = await ProbeHttp.SendAsync(settings, new RestRequest(), check, cancellationToken);
        if (response is null)
        {
            return;
        }

        if ((int)response.StatusCode is 401 or 403)
        {
            ProbeHttp.Refused(check, response, settings);
        }
        else if (!response.IsSuccessful)
        {
            check.Permissions.Add(new PermissionCheck("the feed answers 2xx", false, $"HTTP {(int)response.StatusCode}; check {check.Key}:BaseUrl"));
        }
        else
        {
            check.Authenticated = token is null ? null : true;
        }
    }
}
