using System.Globalization;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Zendesk;

/// <summary>
/// <c>check sources</c> for a Zendesk account: <c>GET /api/v2/users/me.json</c> with the poll's credential. Zendesk
/// answers an unknown or anonymous caller with a user whose <c>id</c> is null; the incremental export and satisfaction
/// ratings the poll reads are admin-only, so the user's <c>role</c> must be <c>admin</c>. The budget comes from
/// <c>X-Rate-Limit</c> / <c>X-Rate-Limit-Remaining</c>.
/// </summary>
public static class ZendeskCheck
{
    public static async Task CheckAsync(SourceOptions options, int index, SourceCheck check, CancellationToken cancellationToken)
    {
        var settings = ZendeskSource.HttpSettings(options, index);
        var response = await ProbeHttp.SendAsync(settings, new RestRequest("api/v2/users/me.json"), check, cancellationToken);
        if (response is null)
        {
            return;
        }

        if ((int)response.StatusCode is 401 or 403)
        {
            ProbeHttp.Refused(check, response, settings);
            return;
        }

        var user = ProbeHttp.Object(ProbeHttp.Json(response), "user");
        if (!response.IsSuccessful || user is null)
        {
            check.Authenticated = false;
            check.Identity = $"HTTP {(int)response.StatusCode} without a user: is {check.Key}:BaseUrl the account's root (https://{{subdomain}}.zendesk.com)?";
            return;
        }

        var role = ProbeHttp.String(user, "role") ?? "unknown";
        if (ProbeHttp.Number(user, "id") is null)
        {
            check.Authenticated = false;
            check.Identity = $"Zendesk treats the request as anonymous; check {settings.Credential.Hint}";
            return;
        }

        check.Authenticated = true;
        check.Identity = $"as {ProbeHttp.String(user, "email") ?? "?"} (role {role})";
        check.Permissions.Add(new PermissionCheck(
            "admin role (incremental ticket export, satisfaction ratings, survey responses)",
            role == "admin",
            role == "admin" ? "" : $"role {role}: these endpoints answer 403; use a token of a Zendesk administrator"));

        var limit = ProbeHttp.NumberHeader(response, "X-Rate-Limit") ?? ProbeHttp.NumberHeader(response, "ratelimit-limit");
        var remaining = ProbeHttp.NumberHeader(response, "X-Rate-Limit-Remaining") ?? ProbeHttp.NumberHeader(response, "ratelimit-remaining");
        var account = options.RequestsPerMinute ?? ZendeskPlatform.RequestsPerMinute;
        check.RateLimit = limit is { } l
            ? $"{l} requests a minute reported (X-Rate-Limit), {remaining?.ToString(CultureInfo.InvariantCulture) ?? "?"} remaining; the collector allows itself {account} ({check.Key}:RequestsPerMinute) and {options.SettingsOf<ZendeskSettings>().ExportRequestsPerMinute} export requests a minute ({check.Key}:Zendesk:ExportRequestsPerMinute)"
            : $"none reported; the collector allows itself {account} a minute ({check.Key}:RequestsPerMinute) and {options.SettingsOf<ZendeskSettings>().ExportRequestsPerMinute} export requests a minute";
        if (limit < account)
        {
            check.Notes.Add($"the account reports {limit} requests a minute, less than {account} configured in {check.Key}:RequestsPerMinute; lower it or other clients will be rate limited");
        }

        var pace = Math.Min(account, options.SettingsOf<ZendeskSettings>().ExportRequestsPerMinute);
        check.Backfill = SourceCheck.Estimate(
            options.Backfill, "tickets", null, Math.Ceiling(1000.0 / options.SettingsOf<ZendeskSettings>().PerPage), 0, pace,
            $"{pace} requests a minute (the incremental export's budget), {options.SettingsOf<ZendeskSettings>().PerPage} tickets a page");
    }
}
