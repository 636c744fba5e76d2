using System.Text.Json.Nodes;

namespace KpiCollector.Sources.Rest;

/// <summary>The <c>joins</c> and the <c>fan_out</c> of a conversation stream (docs/profiles.md, "Joins", "Fan-out").</summary>
public static partial class RestProfileLoader
{
    private sealed partial class Reader
    {
        private static readonly string[] JoinKeys = ["name", "path", "query", "ids", "record_selector", "paginator", "on", "pick", "fields"];
        private static readonly string[] IdsKeys = ["path", "separator", "batch"];
        private static readonly string[] FanOutKeys = ["path", "query", "max_calls_per_poll", "fields", "surveys"];
        private static readonly string[] FanOutSurveyKeys = ["record_selector", "fields"];

        private List<RestJoin> Joins(JsonNode? node, string at, string? record)
        {
            var joins = new List<RestJoin>();
            if (node is null)
            {
                return joins;
            }

            if (record is not null && record != "conversation")
            {
                Fail(at, $"a {record} stream has no joins", "joins on a conversation stream only");
                return joins;
            }

            if (node is not JsonArray list)
            {
                Fail(at, "not a list", "a list of joins, each with name, path, ids, record_selector, on and fields");
                return joins;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (Join(list[i], $"{at}[{i}]") is { } join)
                {
                    if (joins.Any(j => j.Name == join.Name))
                    {
                        Fail($"{at}[{i}].name", $"'{join.Name}' names another join of this stream too", "a name unique within the stream");
                    }

                    joins.Add(join);
                }
            }

            return joins;
        }

        private RestJoin? Join(JsonNode? node, string at)
        {
            if (Object(node, at, JoinKeys) is not { } o)
            {
                return null;
            }

            var before = failures.Count;
            var name = RequiredString(o, at, "name", "a join name");
            var path = RequiredString(o, at, "path", "a path relative to base_url, e.g. api/now/table/task_sla");
            Template(path?.Replace(RestJoin.IdsVariable, "", StringComparison.Ordinal), $"{at}.path", allowToken: false);
            var query = StringMap(o["query"], $"{at}.query");
            foreach (var (k, v) in query)
            {
                Template(v.Replace(RestJoin.IdsVariable, "", StringComparison.Ordinal), $"{at}.query.{k}", allowToken: false);
            }

            if (path is not null && !path.Contains(RestJoin.IdsVariable, StringComparison.Ordinal) && !query.Values.Any(v => v.Contains(RestJoin.IdsVariable, StringComparison.Ordinal)))
            {
                Fail($"{at}.path", "neither the path nor a query value uses {ids}", "{ids} in the path or in a query value, e.g. sysparm_query: \"taskIN{ids}\"");
            }

            JsonPath? idsPath = null;
            var (separator, batch) = (",", 100);
            if (Object(o["ids"], $"{at}.ids", IdsKeys, "an object with path (the JSON path of the id in the stream's record), separator, batch") is { } ids)
            {
                idsPath = ids["path"] is null ? null : Path(ids["path"], $"{at}.ids.path");
                if (ids["path"] is null)
                {
                    Fail($"{at}.ids.path", "missing", "the JSON path of the id in the stream's record, e.g. $.sys_id");
                }

                separator = OptionalString(ids, $"{at}.ids", "separator") ?? ",";
                batch = OptionalInt(ids, $"{at}.ids", "batch", 1) ?? 100;
            }

            var selector = Path(o["record_selector"] ?? JsonValue.Create("$"), $"{at}.record_selector");
            var paginator = Paginator(o["paginator"], $"{at}.paginator");
            if (paginator is { Type: "keyset" } or { InjectInto: "body" })
            {
                // A join pages its batch with a GET in the query; a keyset walk or a POST body is the stream's own.
                Fail($"{at}.paginator", paginator.Type == "keyset" ? "a keyset paginator on a join" : "inject_into: body on a join", "a join paginator of type page_number, offset, link_header, next_url or cursor, in the query");
                paginator = null;
            }

            var on = o["on"] is null ? null : Path(o["on"], $"{at}.on");
            if (o["on"] is null)
            {
                Fail($"{at}.on", "missing", "the JSON path, in the joined record, of the conversation id it belongs to, e.g. $.task.value");
            }

            var pick = Enum(o, at, "pick", RestVocabulary.Picks, required: false) ?? "first";
            var fields = JoinFields(o["fields"], $"{at}.fields");
            if (failures.Count != before || name is null || path is null || idsPath is null || selector is null || paginator is null || on is null || fields is null)
            {
                return null;
            }

            return new RestJoin
            {
                Name = name,
                Path = path,
                Query = query,
                IdsPath = idsPath,
                Separator = separator,
                Batch = batch,
                Selector = selector,
                Paginator = paginator,
                On = on,
                Pick = pick,
                Fields = fields,
            };
        }

        /// <summary>The stream's fan-out; <paramref name="stream"/> is the stream's object, whose reading it needs.</summary>
        private RestFanOut? FanOut(JsonNode? node, string at, string? record, JsonObject stream)
        {
            if (node is null)
            {
                return null;
            }

            if (Object(node, at, FanOutKeys) is not { } o)
            {
                return null;
            }

            var before = failures.Count;
            if (record is not null && record != "conversation")
            {
                Fail(at, $"a {record} stream has no fan_out", "fan_out on a conversation stream only");
            }
            else if (stream["incremental"] is not JsonObject incremental || Text(incremental["mode"]) == "newest_first")
            {
                Fail(at, $"fan_out needs {(stream["incremental"] is null ? "an" : "an oldest-first")} incremental cursor: a poll that runs out of calls resumes at the first conversation left", "fan_out on a stream with incremental (read oldest first)");
            }
            else if (Text(stream["paginator"]?["type"]) == "keyset" || Text(incremental["format"]) == "id")
            {
                // The resume point is an update time; a keyset walk (or an id cursor) has its own.
                Fail(at, "fan_out resumes at an update time: not with a keyset paginator nor an id cursor", "fan_out on a stream whose cursor is an update time, with a page_number, offset, link_header, next_url, cursor or none paginator");
            }

            var path = RequiredString(o, at, "path", "a path relative to base_url with {id}, e.g. api/v2/tickets/{id}/messages");
            Template(path?.Replace(RestFanOut.IdVariable, "", StringComparison.Ordinal), $"{at}.path", allowToken: false);
            var query = StringMap(o["query"], $"{at}.query");
            foreach (var (k, v) in query)
            {
                Template(v.Replace(RestFanOut.IdVariable, "", StringComparison.Ordinal), $"{at}.query.{k}", allowToken: false);
            }

            if (path is not null && !path.Contains(RestFanOut.IdVariable, StringComparison.Ordinal) && !query.Values.Any(v => v.Contains(RestFanOut.IdVariable, StringComparison.Ordinal)))
            {
                Fail($"{at}.path", "neither the path nor a query value uses {id}", "{id} (the conversation's external_id) in the path or a query value");
            }

            var budget = OptionalInt(o, at, "max_calls_per_poll", 1);
            if (o["max_calls_per_poll"] is null)
            {
                Fail($"{at}.max_calls_per_poll", "missing", "a whole number >= 1: the calls a poll may make");
            }

            // updated_at is the version the cached values belong to: it cannot come from them.
            Dictionary<string, RestField>? fields = o["fields"] is null && o["surveys"] is not null ? new() : JoinFields(o["fields"], $"{at}.fields", "updated_at");
            var surveys = FanOutSurveys(o["surveys"], $"{at}.surveys");
            if (failures.Count != before || path is null || budget is null || fields is null || (o["surveys"] is not null && surveys is null))
            {
                return null;
            }

            return new RestFanOut
            {
                Path = path,
                Query = query,
                MaxCallsPerPoll = budget.Value,
                Fields = fields,
                Surveys = surveys,
                Digest = RestFanOut.DigestOf(o.ToJsonString()),
            };
        }

        /// <summary>A fan-out's <c>surveys</c>: the elements of the answer that are survey answers, and their fields.</summary>
        private RestFanOutSurveys? FanOutSurveys(JsonNode? node, string at)
        {
            if (node is null || Object(node, at, FanOutSurveyKeys, "an object with record_selector and fields (survey fields)") is not { } o)
            {
                return null;
            }

            var before = failures.Count;
            var selector = o["record_selector"] is null ? null : Path(o["record_selector"], $"{at}.record_selector");
            if (o["record_selector"] is null)
            {
                Fail($"{at}.record_selector", "missing", "the JSON path of the answer's survey elements, e.g. $[*].messages[*]");
            }

            var fields = Fields(o["fields"], $"{at}.fields", "survey");
            return failures.Count != before || selector is null || fields is null ? null : new RestFanOutSurveys { Selector = selector, Fields = fields };
        }

        private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

        /// <summary>Conversation fields besides <c>external_id</c> (the key) and <paramref name="excluded"/>, at least one; none is required.</summary>
        private Dictionary<string, RestField>? JoinFields(JsonNode? node, string at, params string[] excluded)
        {
            var known = RestVocabulary.FieldsByRecord["conversation"].Where(f => f != "external_id" && !excluded.Contains(f)).ToList();
            if (Object(node, at, known, "an object of conversation fields (not external_id), each a JSON path or a field object") is not { } o)
            {
                return null;
            }

            var fields = new Dictionary<string, RestField>();
            foreach (var (name, value) in o)
            {
                if (known.Contains(name) && Field(value, $"{at}.{name}", name) is { } f)
                {
                    if (f.FromConversation)
                    {
                        Fail($"{at}.{name}.from_conversation", "this field comes from the joined record or the answer", "a path or value");
                    }

                    fields[name] = f;
                }
            }

            if (o.Count == 0)
            {
                Fail(at, "empty", "at least one conversation field");
            }

            return fields;
        }
    }
}
