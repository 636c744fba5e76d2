using System.Text.Json.Nodes;

namespace KpiCollector.Sources.Rest;

/// <summary>A stream's <c>method</c> and <c>body</c>, and a paginator's <c>inject_into</c> and <c>body_path</c> (docs/profiles.md, "POST bodies").</summary>
public static partial class RestProfileLoader
{
    private sealed partial class Reader
    {
        /// <summary>The paginator types whose value (page, offset, cursor, key) can go in the body; the others follow URLs.</summary>
        private static readonly string[] BodyPaginators = ["page_number", "offset", "cursor", "keyset"];

        /// <summary>The paginator keys that name query parameters, refused when the value goes in the body.</summary>
        private static readonly string[] QueryPagingKeys = ["page_param", "size_param", "offset_param", "limit_param", "cursor_param", "key_param"];

        private static string[] BodyPagingKeys => ["inject_into", "body_path"]; // a property: read by PaginatorKeys, whatever the order the partial files initialize in

        /// <summary>Whether a body template holds <c>{since}</c> somewhere in its string values.</summary>
        private static bool HasSince(JsonNode? body) => body is JsonObject && Strings(body, "").Any(s => s.Value.Contains("{since}", StringComparison.Ordinal));

        /// <summary>Every string value of a body template with its dotted path.</summary>
        private static IEnumerable<(string Path, string Value)> Strings(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        foreach (var s in Strings(v, path.Length == 0 ? k : $"{path}.{k}"))
                        {
                            yield return s;
                        }
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        foreach (var s in Strings(a[i], $"{path}[{i}]"))
                        {
                            yield return s;
                        }
                    }

                    break;
                case JsonValue v when v.TryGetValue<string>(out var text):
                    yield return (path, text);
                    break;
            }
        }

        /// <summary>The paginator with <c>inject_into</c> and <c>body_path</c> read.</summary>
        private RestPaginator BodyPaging(JsonObject o, string at, RestPaginator p)
        {
            var inject = Enum(o, at, "inject_into", RestVocabulary.InjectTargets, required: false) ?? "query";
            var text = OptionalString(o, at, "body_path");
            if (inject == "query")
            {
                if (text is not null)
                {
                    Fail($"{at}.body_path", "the paginator's value goes in the query", "remove it, or set inject_into: body");
                }

                return p;
            }

            foreach (var key in QueryPagingKeys.Where(k => o[k] is not null))
            {
                Fail($"{at}.{key}", "a query parameter, and this paginator's value goes in the body", "remove it: write the page size and other constants in the stream's body, the value goes at body_path");
            }

            if (!BodyPaginators.Contains(p.Type))
            {
                Fail($"{at}.inject_into", $"a {p.Type} paginator puts nothing in the body", $"query; body only with paginator type {string.Join(", ", BodyPaginators)}");
            }

            IReadOnlyList<string>? path = null;
            if (text is null)
            {
                if (o["body_path"] is null)
                {
                    Fail($"{at}.body_path", "missing: inject_into body puts the paginator's value there", "a dotted path in the body, e.g. paging.offset");
                }
            }
            else if (text.Split('.') is var parts && parts.Any(s => s.Length == 0 || s.Any(char.IsWhiteSpace)))
            {
                Fail($"{at}.body_path", $"'{text}' is not a dotted path", "names joined by dots, e.g. paging.offset");
            }
            else
            {
                path = parts;
            }

            return p with { InjectInto = inject, BodyPath = path };
        }

        /// <summary>A stream's <c>method</c> and <c>body</c>, checked against its paginator and incremental.</summary>
        private (string Method, JsonObject? Body) RequestBody(JsonObject o, string at, RestPaginator? paginator, RestIncremental? incremental)
        {
            var method = Enum(o, at, "method", RestVocabulary.Methods, required: false) ?? "GET";
            JsonObject? body = null;
            if (o["body"] is { } node)
            {
                if (node is JsonObject b)
                {
                    body = b;
                }
                else
                {
                    Fail($"{at}.body", $"not an object ({node.GetValueKind().ToString().ToLowerInvariant()})", "a JSON object template, e.g. { filter: { updated_after: \"{since}\" } }");
                }

                if (method != "POST")
                {
                    Fail($"{at}.body", "a body is sent only with method: POST", "method: POST, or remove the body");
                }
            }

            foreach (var (path, value) in Strings(body, ""))
            {
                Template(value.Replace("{since}", "", StringComparison.Ordinal), $"{at}.body.{path}", allowToken: false);
            }

            if (HasSince(body) && incremental is not { NewestFirst: false })
            {
                Fail($"{at}.body", "{since} needs the stream's incremental filter, and the stream has none", "an incremental with cursor_field (mode: filter), or no {since} in the body");
            }

            if (paginator is { InjectInto: "body" })
            {
                if (method != "POST")
                {
                    Fail($"{at}.paginator.inject_into", "the body is sent only with method: POST", "query, or method: POST on the stream");
                }

                var current = body;
                foreach (var segment in paginator.BodyPath?.SkipLast(1) ?? [])
                {
                    if (current?[segment] is null)
                    {
                        break;
                    }

                    if (current[segment] is not JsonObject next)
                    {
                        Fail($"{at}.paginator.body_path", $"'{string.Join('.', paginator.BodyPath!)}' passes through {segment}, which in the body is not an object", "a path through objects of the body (missing ones are created)");
                        break;
                    }

                    current = next;
                }
            }

            return (method, body);
        }
    }
}
