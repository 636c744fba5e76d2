using System.Runtime.CompilerServices;
using System.Text.Json;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// A stream listed newest first without an updated-since filter (<c>incremental.mode: newest_first</c>,
/// docs/profiles.md): each poll walks from the top, page by page with the stream's paginator, and stops at the first
/// record whose cursor is at or below the saved cursor minus the look-back (the backfill start on the first run).
/// Every page is committed as it is read (records are idempotent by id and version), but the saved cursor moves to
/// the newest record seen only when the walk reached its stop point or the end of the list: a poll stopped mid-walk
/// walks again from the top and loses nothing.
/// </summary>
public sealed partial class RestSource
{
    /// <summary>One newest-first walk of <paramref name="stream"/>: each page's batch with the cursor state after it.</summary>
    private async IAsyncEnumerable<(SourceBatch Batch, RestCursor State)> NewestFirstAsync(RestStream stream, RestMapper mapper, RestCursor state, long start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var incremental = stream.Incremental!;
        var saved = state.Streams.GetValueOrDefault(stream.Name) ?? new RestStreamCursor { Since = start };
        var stopAt = saved.Since - (long)incremental.Lookback.TotalMilliseconds;
        var position = new RestStreamCursor { Since = saved.Since }; // always from the top: a saved mid-walk page is not resumed
        var newest = saved.Since;
        DateTimeOffset? walkStartedAt = null;
        while (true)
        {
            var requestedAt = _time.GetUtcNow();
            walkStartedAt ??= requestedAt;
            var response = await SendAsync(() => Request(stream, position), _streamBudgets.GetValueOrDefault(stream.Name), notFound: false, cancellationToken);
            using var document = Parse(response!, stream);
            var records = stream.Selector.Select(document.RootElement).SelectMany(e => stream.Selector.IsMulti || e.ValueKind != JsonValueKind.Array ? [e] : e.EnumerateArray().ToArray()).ToList();
            Log.Page(_logger, Name, stream.Name, records.Count);
            var kept = new List<JsonElement>(records.Count);
            var reachedStop = false;
            foreach (var record in records)
            {
                var at = RestValues.Time(incremental.CursorField.First(record) is { } e ? RestValues.Text(e) : null)?.ToUnixTimeMilliseconds();
                if (at <= stopAt)
                {
                    reachedStop = true; // this and every older record were read by an earlier walk (or precede the backfill)
                    break;
                }

                kept.Add(record);
                newest = Math.Max(newest, at ?? long.MinValue);
            }

            var batch = await MapAsync(stream, mapper, kept, cancellationToken);
            var (more, next) = reachedStop ? (false, position) : Next(stream, position, records.Count, document.RootElement, response!);
            var watermark = state.Watermark;
            RestStreamCursor committed;
            if (more)
            {
                position = next;
                committed = saved; // mid-walk: the saved cursor stays, so a restart walks again from the top
            }
            else
            {
                committed = new RestStreamCursor { Since = newest };
                if (stream.SetsWatermark)
                {
                    // Complete up to the walk's first request: a record updated since moved to the top, above the new cursor.
                    watermark = Math.Max(watermark ?? long.MinValue, (walkStartedAt.Value - _profile.WatermarkLag).ToUnixTimeMilliseconds());
                }
            }

            var streams = new Dictionary<string, RestStreamCursor>(state.Streams) { [stream.Name] = committed };
            state = state with { Streams = streams, Watermark = watermark };
            yield return (batch with { Cursor = state.Format(), Watermark = state.WatermarkAt }, state);
            if (!more)
            {
                yield break;
            }
        }
    }
}
