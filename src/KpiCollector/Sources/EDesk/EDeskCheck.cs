using System.Globalization;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using RestSharp;

namespace KpiCollector.Sources.EDesk;

/// <summary>
/// <c>check sources</c> for an eDesk account: <c>GET /v1/channels?itemsPerPage=1</c> with the poll's token, the
/// cheapest authenticated read (the poll reads the channels too). eDesk reports no identity for a token.
/// </summary>
public static class EDeskCheck
{
    public static async Task CheckAsync(SourceOptions options, int index, SourceCheck check, CancellationToken cancellationToken)
    {
        var settings = EDeskSource.HttpSettings(options, index);
        var request = new RestRequest("v1/channels");
        request.AddQueryParameter("itemsPerPage", "1");
        var response = await ProbeHttp.SendAsync(settings, request, check, cancellationToken);
        if (response is null)
        {
            return;
        }

        if ((int)response.StatusCode is 401 or 403)
        {
            ProbeHttp.Refused(check, response, settings);
            return;
        }

        var body = ProbeHttp.Json(response);
        if (!response.IsSuccessful || ProbeHttp.Object(body, "paginator") is null)
        {
            check.Authenticated = false;
            check.Identity = $"HTTP {(int)response.StatusCode} without a channel list: is {check.Key}:BaseUrl eDesk's API root ({EDeskPlatform.DefaultBaseUrl}, or leave it out)?";
            return;
        }

        var channels = ProbeHttp.Number(ProbeHttp.Object(body, "paginator"), "totalItemsCount");
        check.Authenticated = true;
        check.Identity = $"a token that reads {channels?.ToString(CultureInfo.InvariantCulture) ?? "?"} channels";
        var edesk = options.SettingsOf<EDeskSettings>();
        var account = options.RequestsPerMinute ?? EDeskPlatform.RequestsPerMinute;
        check.RateLimit = $"eDesk refills 2 requests a second (burst 60); the collector allows itself {account} a minute ({check.Key}:RequestsPerMinute) and {edesk.MessagesPerPoll} message reads a poll ({check.Key}:EDesk:MessagesPerPoll)";

        // About five messages a ticket, each one request, plus one list request per page.
        check.Backfill = SourceCheck.Estimate(
            options.Backfill, "tickets", null, (1000.0 * 5) + Math.Ceiling(1000.0 / edesk.PageSize), 1, account,
            $"{account} requests a minute, about 5 message requests a ticket");
    }
}
