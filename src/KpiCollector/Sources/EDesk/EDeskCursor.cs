using System.Text.Json;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.EDesk;

/// <summary>
/// Where an eDesk source stands, saved with every batch as <c>ed1:</c> + JSON. A <em>pass</em> reads the tickets list
/// filtered on the account's day of <see cref="Since"/>, in ascending id order, page by page; a pass the message budget
/// cut short resumes at <see cref="Page"/>. <see cref="Seen"/> holds the version of every ticket already delivered that
/// the next pass will list again, so a re-read ticket costs nothing.
/// </summary>
internal sealed record EDeskCursor
{
    private const string Prefix = "ed1:";

    /// <summary>The passes read tickets last updated on or after the account's day of this instant (Unix seconds).</summary>
    public long Since { get; init; }

    /// <summary>When the pass under way began (Unix seconds); null between passes.</summary>
    public long? PassStartedAt { get; init; }

    /// <summary>The page of the pass under way to read next.</summary>
    public int Page { get; init; } = 1;

    /// <summary>The data is complete up to here (Unix ms): set when a pass ends.</summary>
    public long? Watermark { get; init; }

    /// <summary>When the last complete reconciliation of the open set started (Unix ms); null before the first.</summary>
    public long? OpenSetAt { get; init; }

    /// <summary>Ticket id → <c>{last_updated_at, Unix seconds}:{version hash}</c> of the tickets delivered.</summary>
    public Dictionary<string, string> Seen { get; init; } = [];

    public DateTimeOffset? WatermarkAt => Watermark is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static EDeskCursor First(DateTimeOffset start) => new() { Since = start.ToUnixTimeSeconds() };

    public string Format() => Prefix + JsonSerializer.Serialize(this, SourceJson.Options);

    /// <summary>The last-updated instant recorded for a seen ticket (Unix seconds).</summary>
    public static long SeenUpdatedAt(string entry) =>
        long.TryParse(entry.AsSpan(0, Math.Max(0, entry.IndexOf(':', StringComparison.Ordinal))), System.Globalization.CultureInfo.InvariantCulture, out var at) ? at : 0;

    public static EDeskCursor Parse(string cursor)
    {
        try
        {
            if (cursor.StartsWith(Prefix, StringComparison.Ordinal)
                && JsonSerializer.Deserialize<EDeskCursor>(cursor[Prefix.Length..], SourceJson.Options) is { Page: >= 1 } parsed)
            {
                return parsed with { Seen = parsed.Seen ?? [] };
            }
        }
        catch (JsonException)
        {
        }

        throw new SourceException(ErrorReasons.Parse, "the saved eDesk cursor is not in the ed1:{json} form; it was written by another version or edited");
    }
}
