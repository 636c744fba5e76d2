using System.Text.Json;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Rest;

/// <summary>Where a REST source stands, saved with every batch as <c>rest1:</c> + JSON: per stream, and the watermark.</summary>
internal sealed record RestCursor
{
    private const string Prefix = "rest1:";

    public Dictionary<string, RestStreamCursor> Streams { get; init; } = [];

    /// <summary>Unix ms; set when a watermark stream reached its end.</summary>
    public long? Watermark { get; init; }

    public DateTimeOffset? WatermarkAt => Watermark is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public string Format() => Prefix + JsonSerializer.Serialize(this, SourceJson.Options);

    public static RestCursor Parse(string cursor)
    {
        try
        {
            if (cursor.StartsWith(Prefix, StringComparison.Ordinal) && JsonSerializer.Deserialize<RestCursor>(cursor[Prefix.Length..], SourceJson.Options) is { } parsed)
            {
                return parsed;
            }
        }
        catch (JsonException)
        {
        }

        throw new SourceException(ErrorReasons.Parse, "the saved REST cursor is not in the rest1:{json} form; it was written by another version or edited");
    }
}

/// <summary>One stream's position: the updated-since instant (Unix ms), and within it the page, offset or next link.</summary>
internal sealed record RestStreamCursor
{
    public long Since { get; init; }

    public int? Page { get; init; }

    public long Offset { get; init; }

    /// <summary>A next-page URL or an opaque cursor to send back; null at the start of a read.</summary>
    public string? Next { get; init; }

    /// <summary>A keyset walk's last tie-break key at <see cref="Since"/>; null at the start of a walk (RestSource.Keyset.cs).</summary>
    public string? Key { get; init; }
}
