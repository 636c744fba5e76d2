using System.Globalization;
using System.Text.Json;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Rest;

/// <summary>Turns selected JSON values into the normalized field types.</summary>
internal static class RestValues
{
    /// <summary>A scalar as text (numbers in their JSON form); null for objects and arrays.</summary>
    public static string? Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    /// <summary>An ISO 8601 string, or epoch seconds (epoch milliseconds above 10^11); 0 means unset.</summary>
    public static DateTimeOffset? Time(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            return n == 0 ? null : n > 1e11 ? DateTimeOffset.FromUnixTimeMilliseconds((long)n) : DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(n * 1000));
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    public static ConversationStatus Status(string label) => (ConversationStatus)ConversationStatuses.LabelValues.ToList().IndexOf(label);

    public static string Format(DateTimeOffset at, RestIncremental incremental) => incremental.Format switch
    {
        "epoch_s" => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        "epoch_ms" => at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        "date" => TimeZoneInfo.ConvertTime(at, incremental.TimeZone ?? TimeZoneInfo.Utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "datetime" => TimeZoneInfo.ConvertTime(at, incremental.TimeZone ?? TimeZoneInfo.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        _ => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };
}
