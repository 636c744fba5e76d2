using System.Globalization;
using System.Text.Json;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Chatwoot;

/// <summary>
/// <c>check sources</c> for a Chatwoot account: <c>GET /api/v1/profile</c> with the poll's access token, which lists
/// the user's accounts and role in each. The poll reads the conversations of every inbox and the CSAT responses, which
/// need the <c>administrator</c> role in the configured account. Chatwoot reports no rate-limit headers (a self-hosted
/// install throttles per IP), so the configured budget is shown.
/// </summary>
public static class ChatwootCheck
{
    private const int ConversationsPerPage = 25;

    public static async Task CheckAsync(SourceOptions options, int index, SourceCheck check, CancellationToken cancellationToken)
    {
        var settings = ChatwootSource.HttpSettings(options, index);
        var response = await ProbeHttp.SendAsync(settings, new RestRequest("api/v1/profile"), check, cancellationToken);
        if (response is null)
        {
            return;
        }

        if ((int)response.StatusCode is 401 or 403)
        {
            ProbeHttp.Refused(check, response, settings);
            return;
        }

        var profile = ProbeHttp.Json(response);
        if (!response.IsSuccessful || ProbeHttp.Number(profile, "id") is null)
        {
            check.Authenticated = false;
            check.Identity = $"HTTP {(int)response.StatusCode} without a profile: is {check.Key}:BaseUrl the install's root (https://app.chatwoot.com or your own host)?";
            return;
        }

        var accountId = options.SettingsOf<ChatwootSettings>().AccountId;
        string? role = null;
        if (profile is { } p && p.TryGetProperty("accounts", out var accounts) && accounts.ValueKind == JsonValueKind.Array)
        {
            role = accounts.EnumerateArray().Where(a => ProbeHttp.Number(a, "id") == accountId).Select(a => ProbeHttp.String(a, "role")).FirstOrDefault();
        }

        check.Authenticated = true;
        check.Identity = $"as {ProbeHttp.String(profile, "email") ?? "?"} (role {role ?? "none"} in account {accountId.ToString(CultureInfo.InvariantCulture)})";
        check.Permissions.Add(new PermissionCheck(
            $"administrator of account {accountId.ToString(CultureInfo.InvariantCulture)} (conversations of every inbox, CSAT responses)",
            role == "administrator",
            role switch
            {
                "administrator" => "",
                null => $"the user is not a member of account {accountId.ToString(CultureInfo.InvariantCulture)} ({check.Key}:Chatwoot:AccountId)",
                _ => $"role {role}: agents see only their inboxes' conversations and no CSAT responses; use an administrator's token",
            }));

        var account = options.RequestsPerMinute ?? ChatwootPlatform.RequestsPerMinute;
        check.RateLimit = $"none reported by Chatwoot; the collector allows itself {account} requests a minute ({check.Key}:RequestsPerMinute)";
        var perThousand = Math.Ceiling(1000.0 / ConversationsPerPage) + (options.SettingsOf<ChatwootSettings>().ReadMessages ? 1000 : 0);
        check.Backfill = SourceCheck.Estimate(
            options.Backfill, "conversations", null, perThousand, 0, account,
            $"{account} requests a minute, {ConversationsPerPage} conversations a page{(options.SettingsOf<ChatwootSettings>().ReadMessages ? " and one messages request per conversation (Chatwoot:ReadMessages)" : "")}");
    }
}
