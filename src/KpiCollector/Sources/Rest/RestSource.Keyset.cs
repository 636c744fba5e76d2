using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// Keyset paging (<c>paginator.type: keyset</c>, docs/profiles.md): after a full page the incremental filter is sent
/// again from the page's last record, its cursor value and its tie-break key (<c>key_field</c>, sent in
/// <c>key_param</c> when the API takes it). The records at or before that (cursor, key) pair, which an inclusive filter
/// serves again, are dropped, so records sharing the last cursor value are neither lost nor repeated. With
/// <c>incremental.format: id</c> the cursor is the id itself and the filter is <c>id &gt; last</c>. The walk stops on a
/// short (or empty) page.
/// </summary>
public sealed partial class RestSource
{
    /// <summary>The filter's <c>{since}</c>: the cursor's instant less the look-back at a walk's start, exactly the last record's mid-walk; the id as is.</summary>
    private static string SinceText(RestIncremental incremental, RestStreamCursor position)
    {
        if (incremental.Format == "id")
        {
            return position.Since.ToString(CultureInfo.InvariantCulture);
        }

        var since = DateTimeOffset.FromUnixTimeMilliseconds(position.Since);
        return RestValues.Format(position.Key is null ? since - incremental.Lookback : since, incremental);
    }

    private static void AddKeyset(RestRequest request, RestPaginator paginator, RestStreamCursor position)
    {
        if (paginator.KeyParam is { } keyParam && position.Key is { Length: > 0 } key)
        {
            request.AddQueryParameter(keyParam, key);
        }

        if (paginator.SizeParam is { } sizeParam)
        {
            request.AddQueryParameter(sizeParam, paginator.PageSize.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>One keyset walk of <paramref name="stream"/>: each page's batch with the cursor state after it.</summary>
    private async IAsyncEnumerable<(SourceBatch Batch, RestCursor State)> KeysetAsync(RestStream stream, RestMapper mapper, RestCursor state, long start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var incremental = stream.Incremental!;
        var byId = incremental.Format == "id";
        var position = state.Streams.GetValueOrDefault(stream.Name) ?? new RestStreamCursor { Since = byId ? 0 : start };
        var floor = position.Since; // a walk ends no earlier than it started, whatever its look-back re-read
        while (true)
        {
            var requestedAt = _time.GetUtcNow();
            var response = await SendAsync(() => Request(stream, position), _streamBudgets.GetValueOrDefault(stream.Name), notFound: false, cancellationToken);
            using var document = Parse(response!, stream);
            var records = stream.Selector.Select(document.RootElement).SelectMany(e => stream.Selector.IsMulti || e.ValueKind != JsonValueKind.Array ? [e] : e.EnumerateArray().ToArray()).ToList();
            Log.Page(_logger, Name, stream.Name, records.Count);

            // The whole page is read before anything is kept: a record without a cursor or key rejects the page.
            var keyed = records.Select(r => (Record: r, Position: KeysetPosition(stream, r))).ToList();
            var midWalk = byId || position.Key is not null;
            var kept = keyed.Where(k => !midWalk || Compare(k.Position, (position.Since, position.Key)) > 0).ToList();
            var full = stream.Paginator.Stop == "empty_page" ? records.Count > 0 : records.Count >= stream.Paginator.PageSize;
            if (full && kept.Count == 0)
            {
                throw new SourceException(ErrorReasons.Other, $"stream {stream.Name}: a full page of {records.Count} records holds none after the last one read; more than a page of records share one {incremental.Param} value and the key does not narrow the filter ({_profile.File}: set streams.{stream.Name}.paginator.key_param, or a larger page_size)");
            }

            var batch = await MapAsync(stream, mapper, [.. kept.Select(k => k.Record)], cancellationToken);
            var last = keyed.Count == 0 ? (position.Since, position.Key) : keyed.Select(k => k.Position).Aggregate((a, b) => Compare(a, b) >= 0 ? a : b);
            var watermark = state.Watermark;
            if (full)
            {
                position = new RestStreamCursor { Since = last.Since, Key = byId ? null : last.Key ?? "" };
            }
            else
            {
                position = new RestStreamCursor { Since = Math.Max(floor, last.Since) };
                if (stream.SetsWatermark)
                {
                    watermark = Math.Max(watermark ?? long.MinValue, (requestedAt - _profile.WatermarkLag).ToUnixTimeMilliseconds());
                }
            }

            var streams = new Dictionary<string, RestStreamCursor>(state.Streams) { [stream.Name] = position };
            state = state with { Streams = streams, Watermark = watermark };
            yield return (batch with { Cursor = state.Format(), Watermark = state.WatermarkAt }, state);
            if (!full)
            {
                yield break;
            }
        }
    }

    /// <summary>A record's place in the keyset order: its cursor (Unix ms, or the id) and its tie-break key.</summary>
    private (long Since, string? Key) KeysetPosition(RestStream stream, JsonElement record)
    {
        var incremental = stream.Incremental!;
        var text = incremental.CursorField.First(record) is { } e ? RestValues.Text(e) : null;
        long? since = incremental.Format == "id"
            ? long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) ? id : null
            : RestValues.Time(text)?.ToUnixTimeMilliseconds();
        if (since is null)
        {
            throw new SourceException(ErrorReasons.Parse, $"stream {stream.Name}: a record's cursor_field {incremental.CursorField} is {(text is null ? "missing" : $"not {(incremental.Format == "id" ? "an integer id" : "a time")}")}; a keyset page needs it on every record, so the page is rejected ({_profile.File})");
        }

        if (stream.Paginator.KeyField is not { } keyField)
        {
            return (since.Value, null);
        }

        var key = keyField.First(record) is { } k ? RestValues.Text(k) : null;
        if (string.IsNullOrEmpty(key))
        {
            throw new SourceException(ErrorReasons.Parse, $"stream {stream.Name}: a record has no key_field {keyField}; a keyset page needs it on every record, so the page is rejected ({_profile.File})");
        }

        return (since.Value, key);
    }

    /// <summary>Orders by cursor, then by key: numerically when both keys are numbers, else ordinally; no key sorts first.</summary>
    private static int Compare((long Since, string? Key) a, (long Since, string? Key) b)
    {
        var bySince = a.Since.CompareTo(b.Since);
        if (bySince != 0 || a.Key == b.Key)
        {
            return bySince;
        }

        if (string.IsNullOrEmpty(a.Key) || string.IsNullOrEmpty(b.Key))
        {
            return string.IsNullOrEmpty(a.Key) ? (string.IsNullOrEmpty(b.Key) ? 0 : -1) : 1;
        }

        return decimal.TryParse(a.Key, NumberStyles.Number, CultureInfo.InvariantCulture, out var x) && decimal.TryParse(b.Key, NumberStyles.Number, CultureInfo.InvariantCulture, out var y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a.Key, b.Key);
    }
}
