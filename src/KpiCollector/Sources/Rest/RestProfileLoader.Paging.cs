using System.Text.Json.Nodes;

namespace KpiCollector.Sources.Rest;

/// <summary>The incremental modes and paginators added to the profile language (docs/profiles.md, "Newest-first listing").</summary>
public static partial class RestProfileLoader
{
    private sealed partial class Reader
    {
        /// <summary>The keys that only a filtering incremental has: a newest-first list sends no filter.</summary>
        private static readonly string[] FilterOnlyKeys = ["param", "template", "format", "time_zone", "slide_on_full_page"];

        /// <summary>An <c>incremental</c> with <c>mode: newest_first</c>: a cursor field and a look-back, no filter.</summary>
        private RestIncremental? NewestFirst(JsonObject o, string at)
        {
            foreach (var key in FilterOnlyKeys.Where(k => o[k] is not null))
            {
                Fail($"{at}.{key}", "a newest_first stream sends no updated-since filter", "remove it (newest_first takes cursor_field and lookback), or use mode: filter with a param");
            }

            var field = o["cursor_field"] is null ? null : Path(o["cursor_field"], $"{at}.cursor_field");
            if (o["cursor_field"] is null)
            {
                Fail($"{at}.cursor_field", "missing: a newest_first walk stops at the first record whose cursor is at or below the saved one", "a JSON path of the record's update time, e.g. $.updatedAt");
            }

            var lookback = Duration(o, at, "lookback") ?? TimeSpan.Zero;
            return field is null ? null : new RestIncremental { Mode = "newest_first", Param = "", CursorField = field, Lookback = lookback };
        }
    }
}
