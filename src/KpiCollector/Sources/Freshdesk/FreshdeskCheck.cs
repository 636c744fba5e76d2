using System.Globalization;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Freshdesk;

/// <summary>
/// <c>check sources</c> for a Freshdesk account: <c>GET /api/v2/agents/me</c> with the poll's API key. The poll reads
/// every ticket, so the agent needs global ticket access (<c>ticket_scope</c> 1; 2 is group access and 3 restricted
/// access, which would silently leave tickets out). The budget comes from <c>X-RateLimit-Total</c> /
/// <c>X-RateLimit-Remaining</c>.
/// </summary>
public static class FreshdeskCheck
{
    public static async Task CheckAsync(SourceOptions options, int index, SourceCheck check, CancellationToken cancellationToken)
    {
        var settings = FreshdeskSource.HttpSettings(options, index);
        var response = await ProbeHttp.SendAsync(settings, new RestRequest("api/v2/agents/me"), check, cancellationToken);
        if (response is null)
        {
            return;
        }

        if ((int)response.StatusCode is 401 or 403)
        {
            ProbeHttp.Refused(check, response, settings);
            return;
        }

        var agent = ProbeHttp.Json(response);
        if (!response.IsSuccessful || ProbeHttp.Number(agent, "id") is null)
        {
            check.Authenticated = false;
            check.Identity = $"HTTP {(int)response.StatusCode} without an agent: is {check.Key}:BaseUrl the account's root (https://{{domain}}.freshdesk.com)?";
            return;
        }

        var scope = ProbeHttp.Number(agent, "ticket_scope");
        check.Authenticated = true;
        check.Identity = $"as agent {ProbeHttp.String(ProbeHttp.Object(agent, "contact"), "email") ?? "?"} (ticket_scope {scope?.ToString(CultureInfo.InvariantCulture) ?? "?"})";
        check.Permissions.Add(new PermissionCheck(
            "global ticket access (ticket_scope 1: every ticket is listed)",
            scope is null ? null : scope == 1,
            scope switch
            {
                1 => "",
                2 => "group access: only the tickets of the agent's groups would be read; give the agent global access",
                3 => "restricted access: only the agent's own tickets would be read; give the agent global access",
                _ => "the agent's ticket scope is not reported",
            }));

        var total = ProbeHttp.NumberHeader(response, "X-RateLimit-Total");
        var remaining = ProbeHttp.NumberHeader(response, "X-RateLimit-Remaining");
        var account = options.RequestsPerMinute ?? FreshdeskPlatform.RequestsPerMinute;
        var tickets = options.SettingsOf<FreshdeskSettings>().TicketsRequestsPerMinute;
        check.RateLimit = total is { } t
            ? $"{t} requests a minute reported (X-RateLimit-Total), {remaining?.ToString(CultureInfo.InvariantCulture) ?? "?"} remaining; the collector allows itself {account} ({check.Key}:RequestsPerMinute) and {tickets} tickets-list requests a minute ({check.Key}:Freshdesk:TicketsRequestsPerMinute)"
            : $"none reported; the collector allows itself {account} a minute ({check.Key}:RequestsPerMinute) and {tickets} tickets-list requests a minute";
        if (total < account)
        {
            check.Notes.Add($"the account reports {total} requests a minute, less than {account} configured in {check.Key}:RequestsPerMinute; lower it");
        }

        // Each tickets page embeds stats, which Freshdesk charges as a second credit of the account budget.
        var pace = Math.Min(tickets, account / 2.0);
        check.Backfill = SourceCheck.Estimate(
            options.Backfill, "tickets", null, Math.Ceiling(1000.0 / options.SettingsOf<FreshdeskSettings>().PerPage), 0, pace,
            $"{pace.ToString("0.#", CultureInfo.InvariantCulture)} requests a minute (the tickets list's budget), {options.SettingsOf<FreshdeskSettings>().PerPage} tickets a page");
    }
}
