using System.Text.Json;
using System.Text.Json.Serialization;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// The WABA node with analytics fields (docs/sources.md, "WhatsApp Cloud API facts"): <c>pricing_analytics</c> and
/// <c>conversation_analytics</c> wrap their points in <c>data[]</c> (unlike <c>analytics</c>); <c>cost</c> may be
/// missing for partner-billed accounts; enum members keep appearing, so they stay strings.
/// </summary>
internal sealed record WabaAnalytics
{
    public string? Id { get; init; }

    public string? Currency { get; init; }

    public AnalyticsField? PricingAnalytics { get; init; }

    public AnalyticsField? ConversationAnalytics { get; init; }
}

internal sealed record AnalyticsField
{
    public List<AnalyticsData> Data { get; init; } = [];
}

internal sealed record AnalyticsData
{
    public List<AnalyticsPoint> DataPoints { get; init; } = [];
}

internal sealed record AnalyticsPoint
{
    public long Start { get; init; }

    public long End { get; init; }

    public string? PhoneNumber { get; init; }

    public string? Country { get; init; }

    public string? PricingCategory { get; init; }

    public string? PricingType { get; init; }

    public string? Tier { get; init; }

    public long? Volume { get; init; }

    public string? ConversationCategory { get; init; }

    public string? ConversationType { get; init; }

    public string? ConversationDirection { get; init; }

    public long? Conversation { get; init; }

    public decimal? Cost { get; init; }
}

/// <summary>Meta's error envelope: <c>{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}</c>.</summary>
internal static class GraphErrors
{
    /// <summary>Graph codes that mean "slow down" even when the HTTP status is 400 (docs/sources.md, "WhatsApp Cloud API facts").</summary>
    private static readonly HashSet<int> RateLimitCodes = [4, 17, 32, 613, 80007, 130429];

    public static int? Code(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code)
                && code.TryGetInt32(out var value)
                ? value
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool IsRateLimited(string? body) => Code(body) is { } code && RateLimitCodes.Contains(code);
}

/// <summary>The cursor of a WhatsApp source: the inbox position, the watermark, and where analytics resume.</summary>
internal sealed record WhatsAppCursor
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [JsonPropertyName("v")]
    public int Version { get; init; } = 1;

    /// <summary>The last webhook delivery processed (inbox position).</summary>
    public long Inbox { get; init; }

    /// <summary>Received time of the last delivery processed (Unix ms): the source's watermark.</summary>
    public long? Watermark { get; init; }

    /// <summary>Start of the analytics period to read next (Unix seconds).</summary>
    public long AnalyticsFrom { get; init; }

    /// <summary>When analytics were last read (Unix seconds); 0 before the first time.</summary>
    public long AnalyticsAt { get; init; }

    public DateTimeOffset? WatermarkAt => Watermark is { } w ? DateTimeOffset.FromUnixTimeMilliseconds(w) : null;

    public string Format() => JsonSerializer.Serialize(this, Json);

    public static WhatsAppCursor Parse(string cursor) =>
        JsonSerializer.Deserialize<WhatsAppCursor>(cursor, Json) ?? throw new FormatException("The WhatsApp cursor is JSON null.");
}
