using KpiCollector.Checks;
using KpiCollector.Configuration;
using RestSharp;

namespace KpiCollector.Sources.Customers;

/// <summary><c>check sources</c> for a customers feed.</summary>
public static class CustomersCheck
{
    /// <summary>A customers feed: the file exists and can be read, or one GET of the URL answers 2xx.</summary>
    public static async Task CheckAsync(SourceOptions source, int index, SourceCheck check, CancellationToken cancellationToken)
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

        var settings = CustomersFeedSource.HttpSettings(source, index);
        var authenticated = !string.IsNullOrWhiteSpace(source.ApiToken) || !string.IsNullOrWhiteSpace(source.ApiTokenFile);
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
            check.Authenticated = authenticated ? true : null;
        }
    }
}
