using System.Text.Json;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Chatwoot;

/// <summary>
/// Where a Chatwoot source stands, saved with every batch as <c>cw1:</c> + JSON. The first poll backfills by paging the
/// conversations newest activity first (<see cref="BackfillPage"/>) down to <see cref="BackfillFrom"/>; after that each
/// poll asks for what was updated since <see cref="Since"/>, which starts at the moment the backfill began, so what
/// changed during the backfill is read again rather than missed.
/// </summary>
internal sealed record ChatwootCursor
{
    private const string Prefix = "cw1:";

    /// <summary>The next backfill page; null once the backfill is done.</summary>
    public int? BackfillPage { get; init; }

    /// <summary>The backfill reads conversations active at or after this instant (Unix seconds).</summary>
    public long BackfillFrom { get; init; }

    /// <summary>Incremental polls read what was updated at or after this instant (Unix seconds).</summary>
    public long Since { get; init; }

    /// <summary>CSAT responses created up to here (Unix seconds) have been read.</summary>
    public long RatingsSince { get; init; }

    /// <summary>The data is complete up to here (Unix ms): set by each incremental read.</summary>
    public long? Watermark { get; init; }

    /// <summary>
    /// When the last complete reconciliation of the open set started (Unix ms); null before the first. Saved only with
    /// the reconciliation's last batch, so one cut short starts again from the beginning.
    /// </summary>
    public long? OpenSetAt { get; init; }

    public DateTimeOffset? WatermarkAt => Watermark is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static ChatwootCursor First(DateTimeOffset now, DateTimeOffset from) => new()
    {
        BackfillPage = 1,
        BackfillFrom = from.ToUnixTimeSeconds(),
        Since = now.ToUnixTimeSeconds(),
        RatingsSince = from.ToUnixTimeSeconds(),
    };

    public string Format() => Prefix + JsonSerializer.Serialize(this, SourceJson.Options);

    public static ChatwootCursor Parse(string cursor)
    {
        try
        {
            if (cursor.StartsWith(Prefix, StringComparison.Ordinal)
                && JsonSerializer.Deserialize<ChatwootCursor>(cursor[Prefix.Length..], SourceJson.Options) is { } parsed)
            {
                return parsed;
            }
        }
        catch (JsonException)
        {
        }

        throw new SourceException(ErrorReasons.Parse, "the saved Chatwoot cursor is not in the cw1:{json} form; it was written by another version or edited");
    }
}
