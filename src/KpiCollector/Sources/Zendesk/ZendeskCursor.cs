using System.Text.Json;
using System.Text.Json.Serialization;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Zendesk;

/// <summary>
/// Where a Zendesk source stands, saved with every batch: the export's <c>after_cursor</c> (or, before the first
/// page, the backfill's <c>start_time</c>), how far satisfaction ratings were read, the watermark of the last
/// export that reached its end, and when the open set was last reconciled. Serialized as <c>zd1:</c> + JSON.
/// </summary>
internal sealed record ZendeskCursor
{
    private const string Prefix = "zd1:";

    /// <summary>The first export's <c>start_time</c> (Unix seconds); used while <see cref="After"/> is null.</summary>
    public long StartTime { get; init; }

    /// <summary>The export's <c>after_cursor</c>: the next call resumes right after the last committed page.</summary>
    public string? After { get; init; }

    /// <summary>Ratings created up to here (Unix seconds) have been read; the next poll asks again from a little before.</summary>
    public long RatingsSince { get; init; }

    /// <summary>
    /// Survey responses created up to here (Unix ms, as their <c>filter[created_at_start]</c> takes it) have been read;
    /// null until the first survey responses are read, when they start from <see cref="RatingsSince"/>.
    /// </summary>
    public long? SurveysSince { get; init; }

    /// <summary>
    /// Legacy ratings the export showed answered (the ticket's <c>satisfaction_rating</c>) and not read yet: an answer
    /// given long after the offer is created before the ratings position, so only the export says it came. Read one by
    /// one after the ratings list, unless the list had them; null when none.
    /// </summary>
    public long[]? RatingsToRead { get; init; }

    /// <summary>Where survey responses were read up to (Unix ms).</summary>
    [JsonIgnore]
    public long SurveysSinceOrStart => SurveysSince ?? RatingsSince * 1000;

    /// <summary>
    /// The watermark (Unix ms) of the last export that reached <c>end_of_stream</c>. Pages in between carry it
    /// unchanged: the export holds only each ticket's latest version, so data is complete up to an instant only once
    /// everything changed before it was delivered.
    /// </summary>
    public long? Watermark { get; init; }

    /// <summary>
    /// When the last complete reconciliation of the open set started (Unix ms); null before the first. Saved only with
    /// the reconciliation's last batch, so one cut short starts again from the beginning.
    /// </summary>
    public long? OpenSetAt { get; init; }

    public DateTimeOffset? WatermarkAt => Watermark is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static ZendeskCursor First(DateTimeOffset start) => new()
    {
        StartTime = start.ToUnixTimeSeconds(),
        RatingsSince = start.ToUnixTimeSeconds(),
    };

    public string Format() => Prefix + JsonSerializer.Serialize(this, SourceJson.Options);

    public static ZendeskCursor Parse(string cursor)
    {
        try
        {
            if (cursor.StartsWith(Prefix, StringComparison.Ordinal)
                && JsonSerializer.Deserialize<ZendeskCursor>(cursor[Prefix.Length..], SourceJson.Options) is { } parsed)
            {
                return parsed;
            }
        }
        catch (JsonException)
        {
        }

        throw new SourceException(ErrorReasons.Parse, "the saved Zendesk cursor is not in the zd1:{json} form; it was written by another version or edited");
    }
}
