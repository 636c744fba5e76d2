using System.Globalization;
using System.Text.Json;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.EDesk;

/// <summary>
/// eDesk's time handling in one account time zone: timestamps as epoch seconds (numbers, or digits in a string, as the
/// specification has them) or as strings (as real responses have them), ISO 8601 with an offset or local time without
/// one (read in the account's zone); and the date-only <c>filter_last_updated_at_gte</c> in that zone.
/// </summary>
internal sealed class EDeskTime(TimeZoneInfo zone)
{
    public TimeZoneInfo Zone { get; } = zone;

    /// <summary>The account's date at <paramref name="at"/>, as the filter wants it: <c>yyyy-MM-dd</c>.</summary>
    public string Day(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The instant the account's day of <paramref name="at"/> began.</summary>
    public DateTimeOffset DayStart(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, Zone).Date;
        var offset = Zone.IsInvalidTime(local) ? Zone.GetUtcOffset(local.AddHours(1)) : Zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }

    /// <summary>A timestamp, or a parse failure naming <paramref name="path"/>; null when absent (<c>null</c>, <c>false</c>, empty).</summary>
    public DateTimeOffset? Read(JsonElement value, string what, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.False:
                return null;
            case JsonValueKind.Number when value.TryGetInt64(out var epoch):
                return Epoch(epoch);
            case JsonValueKind.String:
                var text = value.GetString()!.Trim();
                if (text.Length == 0)
                {
                    return null;
                }

                if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var digits))
                {
                    return Epoch(digits);
                }

                if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
                {
                    return parsed.Kind == DateTimeKind.Unspecified
                        ? new DateTimeOffset(parsed, Zone.GetUtcOffset(parsed))
                        : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
                }

                break;
        }

        throw SourceJson.Malformed(what, path, "not a timestamp (epoch seconds or a date and time)");
    }

    /// <summary>Like <see cref="Read"/>, for a field the record is unusable without.</summary>
    public DateTimeOffset Required(JsonElement value, string what, string path) =>
        Read(value, what, path) ?? throw SourceJson.Malformed(what, path, "the timestamp is missing");

    private static DateTimeOffset Epoch(long value) =>
        value > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(value) : DateTimeOffset.FromUnixTimeSeconds(value);
}
