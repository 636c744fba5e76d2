using System.Globalization;
using System.Text.Json;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using RestSharp;

namespace KpiCollector.Sources.Bitrix24;

/// <summary>
/// <c>check sources</c> for a Bitrix24 portal: the <c>scope</c> method through the webhook, which answers the scopes
/// the webhook was granted; the poll needs <c>crm</c> (the activity list) and <c>imopenlines</c> (the session history).
/// </summary>
public static class Bitrix24Check
{
    private static readonly string[] Needed = ["crm", "imopenlines"];

    public static async Task CheckAsync(SourceOptions options, int index, SourceCheck check, CancellationToken cancellationToken)
    {
        var settings = Bitrix24Source.HttpSettings(options, index);
        var bitrix = options.SettingsOf<Bitrix24Settings>();
        var response = await ProbeHttp.SendAsync(settings, new RestRequest(Bitrix24Source.Method(bitrix, "scope")), check, cancellationToken);
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
        if (!response.IsSuccessful || body is not { } root || !root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array)
        {
            check.Authenticated = false;
            check.Identity = $"HTTP {(int)response.StatusCode} without a scope list: is {check.Key}:BaseUrl the portal's root (https://acme.bitrix24.com) and {check.Key}:Bitrix24:UserId the webhook's user?";
            return;
        }

        var scopes = result.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        check.Authenticated = true;
        check.Identity = string.Create(CultureInfo.InvariantCulture, $"as the webhook of user {bitrix.UserId} (scopes: {string.Join(", ", scopes.Order())})");
        foreach (var scope in Needed)
        {
            check.Permissions.Add(new PermissionCheck($"scope {scope}", scopes.Contains(scope), scopes.Contains(scope) ? "" : $"add the scope {scope} to the inbound webhook"));
        }

        var account = options.RequestsPerMinute ?? Bitrix24Platform.RequestsPerMinute;
        check.RateLimit = $"not reported; Bitrix24 drains 2 requests a second (5 on Enterprise) and answers QUERY_LIMIT_EXCEEDED beyond; the collector allows itself {account} a minute ({check.Key}:RequestsPerMinute)";
        check.Backfill = SourceCheck.Estimate(
            options.Backfill, "sessions", null, 1000.0 / Bitrix24Source.PageSize * 2, 0, account,
            string.Create(CultureInfo.InvariantCulture, $"{account} requests a minute, {Bitrix24Source.PageSize} activities a page plus one batch of their histories"));
    }
}
