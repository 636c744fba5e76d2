using System.Text.Json;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Freshdesk;

/// <summary>
/// Where a Freshdesk source stands, saved with every batch as <c>fd1:</c> + JSON: the <c>updated_since</c> the tickets
/// list resumes from and the page within it, how far satisfaction ratings were read, the watermark, and when the open
/// set was last reconciled.
/// </summary>
internal sealed record FreshdeskCursor
{
    private const string Prefix = "fd1:";

    /// <summary>The tickets list resumes at tickets updated at or after this instant (Unix seconds).</summary>
    public long Since { get; init; }

    /// <summary>1, except inside a block of a full page or more of tickets updated in the same second.</summary>
    public int Page { get; init; } = 1;

    /// <summary>Ratings created up to here (Unix seconds) have been read.</summary>
    public long RatingsSince { get; init; }

    /// <summary>The data is complete up to here (Unix ms): set when the list reached its end.</summary>
    public long? Watermark { get; init; }

    /// <summary>
    /// When the last complete reconciliation of the open set started (Unix ms); null before the first. Saved only with
    /// the reconciliation's last batch, so one cut short starts again from the beginning.
    /// </summary>
    public long? OpenSetAt { get; init; }

    public DateTimeOffset? WatermarkAt => Watermark is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static FreshdeskCursor First(DateTimeOffset start) => new() { Since = start.ToUnixTimeSeconds(), RatingsSince = start.ToUnixTimeSeconds() };

    public string Format() => Prefix + JsonSerializer.Serialize(this, SourceJson.Options);

    public static FreshdeskCursor Parse(string cursor)
    {
        try
        {
            if (cursor.StartsWith(Prefix, StringComparison.Ordinal)
                && JsonSerializer.Deserialize<FreshdeskCursor>(cursor[Prefix.Length..], SourceJson.Options) is { Page: >= 1 } parsed)
            {
                return parsed;
            }
        }
        catch (JsonException)
        {
        }

        throw new SourceException(ErrorReasons.Parse, "the saved Freshdesk cursor is not in the fd1:{json} form; it was written by another version or edited");
    }
}
