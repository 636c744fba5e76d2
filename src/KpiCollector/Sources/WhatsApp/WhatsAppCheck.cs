using System.Globalization;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// <c>check sources</c> for a WhatsApp Business Account: <c>GET /{ApiVersion}/{WabaId}?fields=id,name</c> with the
/// poll's system-user token, the node the analytics are read from. Code 190 (HTTP 401) is an expired or revoked token;
/// code 100 with subcode 33, or codes 10 and 200-299 (HTTP 400/403), a token that may not read this WABA (the
/// <c>whatsapp_business_management</c> permission and an asset assignment are needed). The budget comes from
/// <c>x-business-use-case-usage</c>, in percent of the hourly calls used.
/// </summary>
public static class WhatsAppCheck
{
    public static async Task CheckAsync(SourceOptions options, int index, SourceCheck check, CancellationToken cancellationToken)
    {
        var waba = options.SettingsOf<WhatsAppSettings>();
        if (!waba.Analytics)
        {
            check.Target = $"webhooks on /webhooks/whatsapp/{options.Name}";
            check.Reachable = true;
            check.Notes.Add($"analytics are off ({check.Key}:WhatsApp:Analytics): nothing is polled, the source only receives webhooks; nothing to ask");
            return;
        }

        var settings = WhatsAppSource.HttpSettings(options, index);
        var request = new RestRequest($"{waba.ApiVersion}/{waba.WabaId}");
        request.AddQueryParameter("fields", "id,name");
        var response = await ProbeHttp.SendAsync(settings, request, check, cancellationToken);
        if (response is null)
        {
            return;
        }

        var body = ProbeHttp.Json(response);
        var error = ProbeHttp.Object(body, "error");
        var code = ProbeHttp.Number(error, "code");
        if ((int)response.StatusCode == 401 || code == 190)
        {
            ProbeHttp.Refused(check, response, settings);
            check.Identity += $" (Graph error {code?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {ProbeHttp.String(error, "message")})";
            return;
        }

        const string Permission = "whatsapp_business_management on the WABA (analytics)";
        if (error is not null || !response.IsSuccessful)
        {
            var denied = (int)response.StatusCode == 403 || code is 10 or (>= 200 and <= 299) || (code == 100 && ProbeHttp.Number(error, "error_subcode") == 33);
            check.Authenticated = true;
            check.Identity = "the token is valid";
            check.Permissions.Add(new PermissionCheck(
                Permission,
                false,
                denied
                    ? $"Graph error {code?.ToString(CultureInfo.InvariantCulture) ?? "?"}: WABA {waba.WabaId} does not exist for this token or it may not read it; check {check.Key}:WhatsApp:WabaId and the system user's asset assignment"
                    : $"HTTP {(int)response.StatusCode}, Graph error {code?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {ProbeHttp.String(error, "message")}"));
            return;
        }

        check.Authenticated = true;
        check.Identity = $"WABA {ProbeHttp.String(body, "id") ?? waba.WabaId} ({ProbeHttp.String(body, "name") ?? "?"})";
        check.Permissions.Add(new PermissionCheck(Permission, true, ""));

        var account = options.RequestsPerMinute ?? WhatsAppPlatform.RequestsPerMinute;
        var usage = RateLimitHeaders.Read((response.Headers ?? []).Select(h => new KeyValuePair<string, string?>(h.Name, h.Value)), DateTimeOffset.UtcNow);
        check.RateLimit = usage.Remaining is { } left
            ? $"{(100 - left).ToString("0.#", CultureInfo.InvariantCulture)}% of the hourly call budget used (x-business-use-case-usage); the collector allows itself {account} requests a minute ({check.Key}:RequestsPerMinute)"
            : $"none reported; the collector allows itself {account} requests a minute ({check.Key}:RequestsPerMinute)";
        if (usage.PauseFor is { } pause)
        {
            check.Notes.Add($"Meta asks to wait {SourceCheck.Duration(pause)} before the next call");
        }

        // The analytics are aggregates: the first poll reads the whole backfill in one request per analytics field.
        var requests = waba.ConversationAnalytics ? 2 : 1;
        check.Backfill = $"{options.Backfill}: {requests} analytics request{(requests == 1 ? "" : "s")} whatever its length (aggregates, at most a year back), {SourceCheck.Duration(TimeSpan.FromMinutes((requests - 1) / (double)account))} at {account} requests a minute";
    }
}
