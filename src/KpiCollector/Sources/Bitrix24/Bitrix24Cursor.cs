using System.Text.Json;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Bitrix24;

/// <summary>
/// Where a Bitrix24 source stands, saved with every batch as <c>bx1:</c> + JSON: the sweep over the activities
/// changed since <see cref="Since"/> (keyset by id), the sessions read but still waiting for their history, the
/// activities already read in the overlap of the last sweep, and the watermark.
/// </summary>
internal sealed record Bitrix24Cursor
{
    private const string Prefix = "bx1:";

    /// <summary>The sweep reads activities with <c>LAST_UPDATED</c> at or after this instant (Unix seconds).</summary>
    public long Since { get; init; }

    /// <summary>The keyset position inside the sweep: activities with a larger <c>ID</c> come next (0 at its start).</summary>
    public long AfterId { get; init; }

    /// <summary>When the sweep under way sent its first request (Unix seconds); null between sweeps.</summary>
    public long? SweepStartedAt { get; init; }

    /// <summary>Sessions read from the activity list whose history is still to be read, oldest first.</summary>
    public List<Bitrix24Pending> Pending { get; init; } = [];

    /// <summary>
    /// Activity id to the <c>LAST_UPDATED</c> (Unix seconds) at which its session was read in full, for the activities
    /// the next sweep reads again (its overlap): one unchanged since is not read again.
    /// </summary>
    public Dictionary<long, long> Read { get; init; } = [];

    /// <summary>The data is complete up to here (Unix ms).</summary>
    public long? Watermark { get; init; }

    public DateTimeOffset? WatermarkAt => Watermark is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static Bitrix24Cursor First(DateTimeOffset start) => new() { Since = start.ToUnixTimeSeconds() };

    public string Format() => Prefix + JsonSerializer.Serialize(this, SourceJson.Options);

    public static Bitrix24Cursor Parse(string cursor)
    {
        try
        {
            if (cursor.StartsWith(Prefix, StringComparison.Ordinal)
                && JsonSerializer.Deserialize<Bitrix24Cursor>(cursor[Prefix.Length..], SourceJson.Options) is { AfterId: >= 0 } parsed
                && parsed.Pending is not null && parsed.Read is not null)
            {
                return parsed;
            }
        }
        catch (JsonException)
        {
        }

        throw new SourceException(ErrorReasons.Parse, "the saved Bitrix24 cursor is not in the bx1:{json} form; it was written by another version or edited");
    }
}

/// <summary>
/// A session read from the activity list, waiting for its history: what the activity said of it, so that the
/// conversation can be written in full once the history comes (times in Unix seconds).
/// </summary>
internal sealed record Bitrix24Pending
{
    public required long ActivityId { get; init; }

    public required long SessionId { get; init; }

    public required long Created { get; init; }

    public long? Closed { get; init; }

    public required long Updated { get; init; }

    public long? Operator { get; init; }

    public string? Connector { get; init; }
}
