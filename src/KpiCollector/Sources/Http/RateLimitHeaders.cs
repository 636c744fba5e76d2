using System.Globalization;
using System.Text.Json;

namespace KpiCollector.Sources.Http;

/// <summary>What a response's headers say about the platform's request budget.</summary>
/// <param name="Remaining">The budget left: requests (Zendesk, Freshdesk) or, for WhatsApp, percent of the budget.</param>
/// <param name="PauseFor">How long to send nothing: the budget is exhausted until it resets, or Meta asks to wait.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> header, as a delay.</param>
/// <param name="CreditsUsed">What the request cost (Freshdesk's <c>X-RateLimit-Used-CurrentRequest</c>; embeds cost extra); 1 when not said.</param>
public readonly record struct RateLimitInfo(double? Remaining, TimeSpan? PauseFor, TimeSpan? RetryAfter, int CreditsUsed = 1);

/// <summary>
/// Reads the rate-limit headers of the platforms (docs/sources.md, "Platform facts"): <c>Retry-After</c> (seconds or an
/// HTTP date); Zendesk's <c>X-Rate-Limit-Remaining</c> and <c>ratelimit-remaining</c>/<c>ratelimit-reset</c>;
/// Freshdesk's <c>X-RateLimit-Remaining</c> and <c>X-RateLimit-Used-CurrentRequest</c>; Meta's <c>x-business-use-case-usage</c> JSON. Lenient: a header it cannot
/// read is ignored, never a failure.
/// </summary>
public static class RateLimitHeaders
{
    /// <summary>How long to pause when a budget header reads 0 and says nothing of its reset: one budget window.</summary>
    public static readonly TimeSpan DefaultReset = TimeSpan.FromMinutes(1);

    public static RateLimitInfo Read(IEnumerable<KeyValuePair<string, string?>> headers, DateTimeOffset now)
    {
        double? remaining = null;
        TimeSpan? reset = null;
        TimeSpan? retryAfter = null;
        TimeSpan? regain = null;
        var credits = 1;
        foreach (var (name, value) in headers)
        {
            if (value is null)
            {
                continue;
            }

            switch (name.ToLowerInvariant())
            {
                case "retry-after":
                    retryAfter = ParseRetryAfter(value, now) ?? retryAfter;
                    break;
                case "x-rate-limit-remaining" or "x-ratelimit-remaining" or "ratelimit-remaining":
                    remaining = ParseNumber(value) ?? remaining;
                    break;
                case "x-ratelimit-used-currentrequest":
                    credits = ParseNumber(value) is { } used and >= 1 and <= 1000 ? (int)used : credits;
                    break;
                case "ratelimit-reset":
                    reset = ParseNumber(value) is { } seconds and >= 0 ? TimeSpan.FromSeconds(seconds) : reset;
                    break;
                case "x-business-use-case-usage":
                    var usage = ParseBusinessUseCaseUsage(value);
                    remaining = usage.Remaining ?? remaining;
                    regain = usage.Regain ?? regain;
                    break;
            }
        }

        TimeSpan? pause = regain is { } wait && wait > TimeSpan.Zero ? wait
            : remaining is <= 0 ? reset ?? DefaultReset
            : null;
        return new RateLimitInfo(remaining, pause, retryAfter, credits);
    }

    /// <summary><c>Retry-After: 7</c> or <c>Retry-After: Wed, 21 Oct 2026 07:28:00 GMT</c>.</summary>
    public static TimeSpan? ParseRetryAfter(string value, DateTimeOffset now)
    {
        if (ParseNumber(value) is { } seconds)
        {
            return seconds >= 0 ? TimeSpan.FromSeconds(seconds) : null;
        }

        return DateTimeOffset.TryParseExact(value.Trim(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? (at > now ? at - now : TimeSpan.Zero)
            : null;
    }

    /// <summary>
    /// <c>{"WABA_ID":[{"type":"...","call_count":28,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":0}]}</c>:
    /// the three usage figures are percentages of the budget, so the remaining share is 100 minus the largest;
    /// <c>estimated_time_to_regain_access</c> is in minutes.
    /// </summary>
    private static (double? Remaining, TimeSpan? Regain) ParseBusinessUseCaseUsage(string value)
    {
        try
        {
            using var doc = JsonDocument.Parse(value);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            double? used = null;
            double regainMinutes = 0;
            foreach (var account in doc.RootElement.EnumerateObject())
            {
                if (account.Value.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                foreach (var entry in account.Value.EnumerateArray())
                {
                    foreach (var figure in (string[])["call_count", "total_cputime", "total_time"])
                    {
                        if (Number(entry, figure) is { } v)
                        {
                            used = Math.Max(used ?? 0, v);
                        }
                    }

                    regainMinutes = Math.Max(regainMinutes, Number(entry, "estimated_time_to_regain_access") ?? 0);
                }
            }

            return (used is { } u ? Math.Max(0, 100 - u) : null, regainMinutes > 0 ? TimeSpan.FromMinutes(regainMinutes) : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static double? Number(JsonElement entry, string name) =>
        entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static double? ParseNumber(string value) =>
        double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n : null;
}
