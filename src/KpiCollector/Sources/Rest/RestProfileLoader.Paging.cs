using System.Text.Json.Nodes;

namespace KpiCollector.Sources.Rest;

/// <summary>The incremental modes and paginators added to the profile language (docs/profiles.md, "Newest-first listing").</summary>
public static partial class RestProfileLoader
{
    private sealed partial class Reader
    {
        private static string[] KeysetKeys => ["key_field", "key_param"]; // a property: read by PaginatorKeys, whatever the order the partial files initialize in

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

        /// <summary>The paginator with its keyset keys read: <c>key_field</c> and <c>key_param</c> belong to a keyset paginator only.</summary>
        private RestPaginator Keyset(JsonObject o, string at, RestPaginator p)
        {
            if (p.Type != "keyset")
            {
                foreach (var key in KeysetKeys.Where(k => o[k] is not null))
                {
                    Fail($"{at}.{key}", $"only a keyset paginator has {key}", "remove it, or set type: keyset");
                }

                return p;
            }

            if (p.Stop is not ("short_page" or "empty_page"))
            {
                Fail($"{at}.stop", $"a keyset paginator stops on a short or empty page, not on {p.Stop}", "short_page, empty_page");
            }

            return p with
            {
                KeyField = o["key_field"] is { } kf ? Path(kf, $"{at}.key_field") : null,
                KeyParam = OptionalString(o, at, "key_param"),
            };
        }

        /// <summary>What a keyset paginator needs of the stream's incremental, and what <c>format: id</c> needs of the paginator.</summary>
        private void KeysetWithIncremental(string at, RestPaginator? paginator, RestIncremental? incremental)
        {
            if (paginator is null)
            {
                return;
            }

            if (paginator.Type != "keyset")
            {
                if (incremental?.Format == "id")
                {
                    Fail($"{at}.incremental.format", "an id cursor needs a keyset paginator", "iso8601, epoch_s, epoch_ms, date; or id with paginator type keyset");
                }

                return;
            }

            if (incremental is null || incremental.NewestFirst)
            {
                Fail($"{at}.paginator.type", "a keyset paginator re-issues the incremental filter from the last record, and the stream has none", "an incremental with param and cursor_field (mode: filter)");
                return;
            }

            if (incremental.Format == "date")
            {
                Fail($"{at}.incremental.format", "a keyset paginator cannot re-issue a whole-day filter from the last record", "iso8601, epoch_s, epoch_ms, id");
            }

            if (incremental.Format == "id")
            {
                if (paginator.KeyField is not null || paginator.KeyParam is not null)
                {
                    Fail($"{at}.paginator.{(paginator.KeyField is not null ? "key_field" : "key_param")}", "with an id cursor the id is the key", "remove it: the filter is id > last");
                }

                if (incremental.Lookback != TimeSpan.Zero)
                {
                    Fail($"{at}.incremental.lookback", "an id cursor has no look-back", "remove it, or 0");
                }
            }
            else if (paginator.KeyField is null)
            {
                Fail($"{at}.paginator.key_field", "missing: a keyset paginator orders records sharing one cursor value by it", "a JSON path of the record's unique id, e.g. $.id");
            }
        }
    }
}
