using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// Reads a profile (YAML or JSON; JSON is YAML too) and checks it against the profile language of docs/profiles.md
/// and docs/profile.schema.json. Every problem is collected, each naming the file, the key path and what is accepted.
/// </summary>
public static partial class RestProfileLoader
{
    private const string ResourcePrefix = "KpiCollector.Sources.Rest.Profiles.";

    /// <summary>The names of the profiles built into the binary.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = typeof(RestProfileLoader).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".yaml".Length]).Order(StringComparer.Ordinal).ToList();

    /// <summary>The text of a built-in profile; null when there is none of that name.</summary>
    public static string? BuiltInText(string name)
    {
        using var stream = typeof(RestProfileLoader).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".yaml");
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Loads <paramref name="profile"/> (a built-in name or a file path); null when anything is wrong, with every problem in <paramref name="failures"/>.</summary>
    public static RestProfile? Load(string profile, IReadOnlyCollection<string> variables, List<string> failures)
    {
        string text;
        string file;
        if (BuiltInText(profile) is { } builtIn)
        {
            text = builtIn;
            file = $"built-in profile '{profile}'";
        }
        else
        {
            file = $"profile file '{profile}'";
            try
            {
                text = System.IO.File.ReadAllText(profile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                failures.Add($"{file}: cannot be read ({ex.Message}); accepted: a built-in profile ({string.Join(", ", BuiltInNames)}) or a readable YAML or JSON file");
                return null;
            }
        }

        return Parse(text, file, variables, failures);
    }

    /// <summary>Parses profile text; <paramref name="file"/> names it in messages.</summary>
    public static RestProfile? Parse(string text, string file, IReadOnlyCollection<string> variables, List<string> failures)
    {
        JsonNode? root;
        try
        {
            root = ToJson(text);
        }
        catch (YamlException ex)
        {
            failures.Add($"{file}: not valid YAML or JSON at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}");
            return null;
        }

        var before = failures.Count;
        var reader = new Reader(file, failures, variables);
        var profile = reader.Profile(root);
        return failures.Count == before ? profile : null;
    }

    /// <summary>YAML (or JSON) as a JSON tree; plain scalars become numbers, booleans and null as YAML 1.2 reads them.</summary>
    public static JsonNode? ToJson(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    obj[((YamlScalarNode)k).Value ?? ""] = Convert(v);
                }

                return obj;
            case YamlSequenceNode seq:
                return new JsonArray(seq.Children.Select(Convert).ToArray());
            case YamlScalarNode scalar:
                var value = scalar.Value ?? "";
                if (scalar.Style is ScalarStyle.Plain)
                {
                    if (value is "" or "~" or "null")
                    {
                        return null;
                    }

                    if (value is "true" or "false")
                    {
                        return JsonValue.Create(value == "true");
                    }

                    if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                    {
                        return JsonValue.Create(l);
                    }

                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    {
                        return JsonValue.Create(d);
                    }
                }

                return JsonValue.Create(value);
            default:
                return null;
        }
    }

    /// <summary>Walks the tree once, reporting every problem with its key path.</summary>
    private sealed partial class Reader(string file, List<string> failures, IReadOnlyCollection<string> variables)
    {
        private static readonly string[] ProfileKeys = ["name", "description", "base_url", "headers", "authenticator", "watermark_lag", "requests_per_minute", "streams"];
        private static readonly string[] AuthKeys = ["type", "username", "password", "token", "header", "prefix", .. OAuthKeys];
        private static readonly string[] StreamKeys = ["name", "record", "path", "query", "record_selector", "paginator", "incremental", "fields", "conversation_lookup", "sets_watermark", "requests_per_minute", "joins", "fan_out", "method", "body"];
        private static readonly string[] PaginatorKeys = ["type", "page_param", "size_param", "page_size", "start_page", "max_page", "stop", "total_path", "total_pages_header", "offset_param", "limit_param", "next_path", "cursor_param", .. KeysetKeys, .. BodyPagingKeys];
        private static readonly string[] IncrementalKeys = ["param", "template", "format", "time_zone", "cursor_field", "lookback", "slide_on_full_page", "mode"];
        private static readonly string[] FieldKeys = ["path", "value", "map", "default", "missing", "add_minutes", "from_conversation", "pick"];
        private static readonly string[] PathKeys = ["path", "when_status"];
        private static readonly string[] LookupKeys = ["stream", "path"];

        public RestProfile? Profile(JsonNode? root)
        {
            if (Object(root, "$", ProfileKeys) is not { } o)
            {
                return null;
            }

            var name = RequiredString(o, "$", "name", "a profile name");
            var baseUrl = OptionalString(o, "$", "base_url");
            Template(baseUrl, "$.base_url", allowToken: true);
            var headers = StringMap(o["headers"], "$.headers");
            foreach (var (k, v) in headers)
            {
                Template(v, $"$.headers.{k}", allowToken: false);
            }

            var auth = Auth(o["authenticator"], "$.authenticator");
            if (auth?.Type == "url_token" && baseUrl?.Contains("{token}", StringComparison.Ordinal) != true)
            {
                Fail("$.base_url", "a url_token authenticator needs {token} in base_url", "a base_url template containing {token}");
            }

            var lag = Duration(o, "$", "watermark_lag") ?? TimeSpan.Zero;
            var budget = OptionalInt(o, "$", "requests_per_minute", 1);
            var streams = new List<RestStream>();
            if (o["streams"] is JsonArray list && list.Count > 0)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (Stream(list[i], $"$.streams[{i}]") is { } s)
                    {
                        streams.Add(s);
                    }
                }
            }
            else
            {
                Fail("$.streams", o["streams"] is null ? "missing" : "not a non-empty list", "a list of streams, each with name, record, path, record_selector and fields");
            }

            foreach (var s in streams.Where(s => s.ConversationLookup is { } l && streams.All(t => t.Name != l.Stream || t.Record != "conversation")))
            {
                Fail($"$.streams[{streams.IndexOf(s)}].conversation_lookup.stream", $"'{s.ConversationLookup!.Value.Stream}' is not a conversation stream of this profile", string.Join(", ", streams.Where(t => t.Record == "conversation").Select(t => t.Name)));
            }

            return name is null || auth is null ? null : new RestProfile
            {
                Name = name,
                File = file,
                BaseUrl = baseUrl,
                Headers = headers,
                Auth = auth,
                WatermarkLag = lag,
                RequestsPerMinute = budget,
                Streams = streams,
            };
        }

        private RestAuth? Auth(JsonNode? node, string at)
        {
            if (Object(node, at, AuthKeys) is not { } o)
            {
                return null;
            }

            var type = Enum(o, at, "type", RestVocabulary.AuthTypes, required: true);
            var auth = new RestAuth
            {
                Type = type ?? "bearer",
                Username = OptionalString(o, at, "username") ?? "{token}",
                Password = OptionalString(o, at, "password") ?? "",
                Token = OptionalString(o, at, "token") ?? "{token}",
                Header = OptionalString(o, at, "header") ?? "Authorization",
                Prefix = OptionalString(o, at, "prefix"),
            };
            Template(auth.Username, $"{at}.username", allowToken: true);
            Template(auth.Password, $"{at}.password", allowToken: true);
            Template(auth.Token, $"{at}.token", allowToken: true);
            auth = OAuth(o, at, type, auth);
            return type is null ? null : auth;
        }

        private RestStream? Stream(JsonNode? node, string at)
        {
            if (Object(node, at, StreamKeys) is not { } o)
            {
                return null;
            }

            var before = failures.Count;
            var name = RequiredString(o, at, "name", "a stream name");
            var record = Enum(o, at, "record", [.. RestVocabulary.FieldsByRecord.Keys], required: true);
            var path = RequiredString(o, at, "path", "a path relative to base_url, e.g. api/v2/tickets");
            Template(path, $"{at}.path", allowToken: false);
            var query = StringMap(o["query"], $"{at}.query");
            foreach (var (k, v) in query)
            {
                Template(v, $"{at}.query.{k}", allowToken: false);
            }

            var selector = Path(o["record_selector"] ?? JsonValue.Create("$"), $"{at}.record_selector");
            var paginator = Paginator(o["paginator"], $"{at}.paginator");
            var incremental = o["incremental"] is null ? null : Incremental(o["incremental"], $"{at}.incremental", sinceInBody: HasSince(o["body"]));
            var fields = record is null ? null : Fields(o["fields"], $"{at}.fields", record);
            (string, string)? lookup = null;
            if (o["conversation_lookup"] is { } l && Object(l, $"{at}.conversation_lookup", LookupKeys) is { } lo)
            {
                var ls = RequiredString(lo, $"{at}.conversation_lookup", "stream", "the name of a conversation stream");
                var lp = RequiredString(lo, $"{at}.conversation_lookup", "path", "a path with {id}, e.g. api/v2/tickets/{id}");
                if (lp is not null && !lp.Contains("{id}", StringComparison.Ordinal))
                {
                    Fail($"{at}.conversation_lookup.path", $"'{lp}' has no {{id}}", "a path with {id}, e.g. api/v2/tickets/{id}");
                }

                lookup = ls is null || lp is null ? null : (ls, lp);
            }

            if (incremental?.SlideOnFullPage == true && paginator?.Type is not ("page_number" or "offset"))
            {
                Fail($"{at}.incremental.slide_on_full_page", "sliding the filter needs a page_number or offset paginator", "true only with paginator type page_number or offset");
            }

            KeysetWithIncremental(at, paginator, incremental);
            var setsWatermark = o["sets_watermark"] is null ? record == "conversation" : Bool(o, at, "sets_watermark");
            var streamBudget = OptionalInt(o, at, "requests_per_minute", 1);
            var joins = Joins(o["joins"], $"{at}.joins", record);
            var fanOut = FanOut(o["fan_out"], $"{at}.fan_out", record, o);
            var (method, body) = RequestBody(o, at, paginator, incremental);
            if (failures.Count != before || name is null || record is null || path is null || selector is null || paginator is null || fields is null)
            {
                return null;
            }

            return new RestStream
            {
                Name = name,
                Record = record,
                Path = path,
                Query = query,
                Selector = selector,
                Paginator = paginator,
                Incremental = incremental,
                Fields = fields,
                ConversationLookup = lookup,
                SetsWatermark = setsWatermark,
                RequestsPerMinute = streamBudget,
                Joins = joins,
                FanOut = fanOut,
                Method = method,
                Body = body,
            };
        }

        private RestPaginator? Paginator(JsonNode? node, string at)
        {
            if (node is null)
            {
                return new RestPaginator();
            }

            if (Object(node, at, PaginatorKeys) is not { } o)
            {
                return null;
            }

            var type = Enum(o, at, "type", RestVocabulary.PaginatorTypes, required: true) ?? "none";
            var p = new RestPaginator
            {
                Type = type,
                PageParam = OptionalString(o, at, "page_param") ?? "page",
                SizeParam = OptionalString(o, at, "size_param"),
                PageSize = OptionalInt(o, at, "page_size", 1) ?? 100,
                StartPage = OptionalInt(o, at, "start_page", 0) ?? 1,
                MaxPage = OptionalInt(o, at, "max_page", 1),
                Stop = Enum(o, at, "stop", RestVocabulary.StopSignals, required: false) ?? "short_page",
                TotalPath = o["total_path"] is { } tp ? Path(tp, $"{at}.total_path") : null,
                TotalPagesHeader = OptionalString(o, at, "total_pages_header"),
                OffsetParam = OptionalString(o, at, "offset_param") ?? "offset",
                LimitParam = OptionalString(o, at, "limit_param") ?? "limit",
                NextPath = o["next_path"] is { } np ? Path(np, $"{at}.next_path") : null,
                CursorParam = OptionalString(o, at, "cursor_param"),
            };
            if (p.Stop == "total_field" && p.TotalPath is null)
            {
                Fail($"{at}.total_path", "missing: stop total_field reads the total there", "a JSON path to the total count (or last page number)");
            }

            if (p.Stop == "total_pages_header" && p.TotalPagesHeader is null)
            {
                Fail($"{at}.total_pages_header", "missing: stop total_pages_header reads it", "a response header name, e.g. X-Total-Pages");
            }

            if (type is "next_url" or "cursor" && p.NextPath is null)
            {
                Fail($"{at}.next_path", $"missing: a {type} paginator reads the next page there", "a JSON path, e.g. $.meta.next");
            }

            if (type == "cursor" && p.CursorParam is null && o["inject_into"]?.ToString() != "body")
            {
                Fail($"{at}.cursor_param", "missing: a cursor paginator sends the cursor back in it", "a query parameter name, e.g. cursor");
            }

            return BodyPaging(o, at, Keyset(o, at, p));
        }

        private RestIncremental? Incremental(JsonNode? node, string at, bool sinceInBody)
        {
            if (Object(node, at, IncrementalKeys) is not { } o)
            {
                return null;
            }

            if (Enum(o, at, "mode", RestVocabulary.IncrementalModes, required: false) == "newest_first")
            {
                return NewestFirst(o, at);
            }

            var param = sinceInBody ? OptionalString(o, at, "param") ?? "" : RequiredString(o, at, "param", "the query parameter of the updated-since filter (or {since} in the stream's body)");
            var template = OptionalString(o, at, "template") ?? "{since}";
            if (!template.Contains("{since}", StringComparison.Ordinal))
            {
                Fail($"{at}.template", $"'{template}' has no {{since}}", "a value template containing {since}, e.g. sys_updated_on>{since}");
            }
            else
            {
                Template(template.Replace("{since}", "", StringComparison.Ordinal), $"{at}.template", allowToken: false);
            }

            TimeZoneInfo? zone = null;
            if (OptionalString(o, at, "time_zone") is { } tz)
            {
                try
                {
                    zone = TimeZoneInfo.FindSystemTimeZoneById(tz);
                }
                catch (TimeZoneNotFoundException)
                {
                    Fail($"{at}.time_zone", $"'{tz}' is not a known time zone", "an IANA time zone id such as Europe/Berlin");
                }
            }

            var field = o["cursor_field"] is null ? null : Path(o["cursor_field"], $"{at}.cursor_field");
            if (o["cursor_field"] is null)
            {
                Fail($"{at}.cursor_field", "missing", "a JSON path of the record's update time, e.g. $.updated_at");
            }

            var result = new RestIncremental
            {
                Param = param ?? "",
                Template = template,
                Format = Enum(o, at, "format", RestVocabulary.SinceFormats, required: false) ?? "iso8601",
                TimeZone = zone,
                CursorField = field!,
                Lookback = Duration(o, at, "lookback") ?? TimeSpan.Zero,
                SlideOnFullPage = o["slide_on_full_page"] is not null && Bool(o, at, "slide_on_full_page"),
            };
            return param is null || field is null ? null : result;
        }

        private Dictionary<string, RestField>? Fields(JsonNode? node, string at, string record)
        {
            var known = RestVocabulary.FieldsByRecord[record];
            if (Object(node, at, [.. known], $"the {record} fields") is not { } o)
            {
                return null;
            }

            var fields = new Dictionary<string, RestField>();
            foreach (var (name, value) in o)
            {
                if (known.Contains(name) && Field(value, $"{at}.{name}", name) is { } f)
                {
                    fields[name] = f;
                }
            }

            foreach (var required in RestVocabulary.RequiredByRecord[record].Where(r => !o.ContainsKey(r)))
            {
                Fail($"{at}.{required}", "missing", $"a JSON path (a {record} needs {string.Join(", ", RestVocabulary.RequiredByRecord[record])})");
            }

            return fields;
        }

        private RestField? Field(JsonNode? node, string at, string name)
        {
            if (node is JsonValue v && v.TryGetValue<string>(out var text))
            {
                return Path(v, at) is { } p ? new RestField { Paths = [(p, null)] } : null;
            }

            if (Object(node, at, FieldKeys, "a JSON path, or an object with path, value, map, default, missing, add_minutes, from_conversation, pick") is not { } o)
            {
                return null;
            }

            var paths = new List<(JsonPath, IReadOnlySet<ConversationStatus>?)>();
            if (o["path"] is JsonArray list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    var itemAt = $"{at}.path[{i}]";
                    if (list[i] is JsonObject item && Object(item, itemAt, PathKeys) is { } io)
                    {
                        var p = io["path"] is null ? null : Path(io["path"], $"{itemAt}.path");
                        var when = StatusSet(io["when_status"], $"{itemAt}.when_status");
                        if (p is not null)
                        {
                            paths.Add((p, when));
                        }
                    }
                    else if (Path(list[i], itemAt) is { } p)
                    {
                        paths.Add((p, null));
                    }
                }
            }
            else if (o["path"] is { } single && Path(single, $"{at}.path") is { } p)
            {
                paths.Add((p, null));
            }

            var map = o["map"] is null ? null : StringMap(o["map"], $"{at}.map");
            var field = new RestField
            {
                Paths = paths,
                Value = OptionalScalar(o, at, "value"),
                Map = map,
                Default = OptionalScalar(o, at, "default"),
                Missing = OptionalScalar(o, at, "missing"),
                AddMinutes = o["add_minutes"] is { } am ? Path(am, $"{at}.add_minutes") : null,
                FromConversation = o["from_conversation"] is not null && Bool(o, at, "from_conversation"),
                Pick = Enum(o, at, "pick", RestVocabulary.Picks, required: false) ?? "first",
            };
            if (field.Paths.Count == 0 && field.Value is null && !field.FromConversation && o["path"] is null)
            {
                Fail(at, "has neither path, value nor from_conversation", "one of path, value, from_conversation");
            }

            if (field.FromConversation && name != "channel")
            {
                Fail($"{at}.from_conversation", $"only a channel can come from the conversation, not {name}", "from_conversation on the channel field");
            }

            if (RestVocabulary.EnumFields.TryGetValue(name, out var accepted))
            {
                foreach (var (k, value) in map ?? [])
                {
                    if (!accepted.Contains(value))
                    {
                        Fail($"{at}.map.{k}", $"'{value}' is not a {name}", string.Join(", ", accepted));
                    }
                }

                foreach (var (key, value) in new[] { ("default", field.Default), ("missing", field.Missing), ("value", field.Value) })
                {
                    if (value is not null && !accepted.Contains(value))
                    {
                        Fail($"{at}.{key}", $"'{value}' is not a {name}", string.Join(", ", accepted));
                    }
                }

                if (name == "status" && map is not null && field.Default is null)
                {
                    // Every documented status must map somewhere: a code without an entry and no default is an error.
                    Fail($"{at}.default", "missing: a status map needs a default for the values it does not list", string.Join(", ", accepted));
                }
            }

            return field;
        }

        private HashSet<ConversationStatus>? StatusSet(JsonNode? node, string at)
        {
            if (node is null)
            {
                return null;
            }

            var set = new HashSet<ConversationStatus>();
            if (node is not JsonArray a)
            {
                Fail(at, "not a list", $"a list of statuses: {string.Join(", ", ConversationStatuses.LabelValues)}");
                return null;
            }

            foreach (var item in a)
            {
                var label = item?.GetValueKind() == System.Text.Json.JsonValueKind.String ? item.GetValue<string>() : null;
                var index = label is null ? -1 : ConversationStatuses.LabelValues.ToList().IndexOf(label);
                if (index < 0)
                {
                    Fail(at, $"'{item?.ToJsonString()}' is not a status", string.Join(", ", ConversationStatuses.LabelValues));
                }
                else
                {
                    set.Add((ConversationStatus)index);
                }
            }

            return set;
        }

        private JsonObject? Object(JsonNode? node, string at, IReadOnlyCollection<string> keys, string? what = null)
        {
            if (node is not JsonObject o)
            {
                Fail(at, node is null ? "missing" : $"not an object ({node.GetValueKind().ToString().ToLowerInvariant()})", what ?? $"an object with {string.Join(", ", keys)}");
                return null;
            }

            foreach (var (key, _) in o)
            {
                if (!keys.Contains(key))
                {
                    Fail($"{at}.{key}", "unknown key", string.Join(", ", keys));
                }
            }

            return o;
        }

        private JsonPath? Path(JsonNode? node, string at)
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out var text))
            {
                Fail(at, "not a string", "a JSON path such as $.stats.first_responded_at");
                return null;
            }

            var path = JsonPath.TryParse(text, out var error);
            if (path is null)
            {
                Fail(at, $"the JSON path '{text}' does not parse: {error}", "$, .name, ['name'], [n], [*], [?(@.field=='value')]");
            }

            return path;
        }

        private Dictionary<string, string> StringMap(JsonNode? node, string at)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is null)
            {
                return map;
            }

            if (node is not JsonObject o)
            {
                Fail(at, "not an object", "an object of names to string values");
                return map;
            }

            foreach (var (k, v) in o)
            {
                if (v is JsonValue value && value.GetValueKind() is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)
                {
                    map[k] = Scalar(value);
                }
                else
                {
                    Fail($"{at}.{k}", "not a scalar", "a string or number");
                }
            }

            return map;
        }

        private void Template(string? template, string at, bool allowToken)
        {
            if (template is null)
            {
                return;
            }

            foreach (var name in RestVocabulary.TemplateVariable().Matches(template).Select(m => m.Groups[1].Value))
            {
                if (RestVocabulary.BuiltInVariables.Contains(name))
                {
                    if (!allowToken)
                    {
                        Fail(at, $"{{{name}}} is a secret and may appear only in the authenticator or base_url", "configured variables here");
                    }
                }
                else if (!variables.Contains(name))
                {
                    Fail(at, $"the template variable {{{name}}} is not supplied", $"set it as Rest:Variables:{name} (supplied: {(variables.Count == 0 ? "none" : string.Join(", ", variables))})");
                }
            }
        }

        private string? RequiredString(JsonObject o, string at, string key, string accepted)
        {
            var value = OptionalString(o, at, key);
            if (value is null && o[key] is null)
            {
                Fail($"{at}.{key}", "missing", accepted);
            }

            return value;
        }

        private string? OptionalString(JsonObject o, string at, string key)
        {
            if (o[key] is null)
            {
                return null;
            }

            if (o[key] is JsonValue v && v.TryGetValue<string>(out var s))
            {
                return s;
            }

            Fail($"{at}.{key}", "not a string", "a string");
            return null;
        }

        private string? OptionalScalar(JsonObject o, string at, string key)
        {
            if (o[key] is null)
            {
                return null;
            }

            if (o[key] is JsonValue v)
            {
                return Scalar(v);
            }

            Fail($"{at}.{key}", "not a scalar", "a string or number");
            return null;
        }

        private static string Scalar(JsonValue v) => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            System.Text.Json.JsonValueKind.True => "true",
            System.Text.Json.JsonValueKind.False => "false",
            _ => v.ToJsonString(),
        };

        private int? OptionalInt(JsonObject o, string at, string key, int min)
        {
            if (o[key] is null)
            {
                return null;
            }

            if (o[key] is JsonValue v && v.TryGetValue<long>(out var n) && n >= min && n <= int.MaxValue)
            {
                return (int)n;
            }

            Fail($"{at}.{key}", $"'{o[key]!.ToJsonString()}' is not a whole number of at least {min}", $"a whole number >= {min}");
            return null;
        }

        private bool Bool(JsonObject o, string at, string key)
        {
            if (o[key] is JsonValue v && v.TryGetValue<bool>(out var b))
            {
                return b;
            }

            Fail($"{at}.{key}", "not a boolean", "true or false");
            return false;
        }

        private TimeSpan? Duration(JsonObject o, string at, string key)
        {
            var text = OptionalScalar(o, at, key);
            if (text is null)
            {
                return null;
            }

            if (text == "0")
            {
                return TimeSpan.Zero;
            }

            if (Durations.TryParse(text, out var d))
            {
                return d;
            }

            Fail($"{at}.{key}", $"'{text}' is not a duration", "0 or a number with s, m, h or d, e.g. 10s, 1h");
            return null;
        }

        private string? Enum(JsonObject o, string at, string key, IReadOnlyList<string> accepted, bool required)
        {
            var value = OptionalString(o, at, key);
            if (value is null)
            {
                if (required && o[key] is null)
                {
                    Fail($"{at}.{key}", "missing", string.Join(", ", accepted));
                }

                return null;
            }

            if (!accepted.Contains(value))
            {
                Fail($"{at}.{key}", $"'{value}' is not accepted", string.Join(", ", accepted));
                return null;
            }

            return value;
        }

        private void Fail(string at, string problem, string accepted) =>
            failures.Add($"{file}: {at}: {problem}; accepted: {accepted}");
    }
}
