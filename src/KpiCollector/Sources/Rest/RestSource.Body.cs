using System.Globalization;
using System.Text.Json.Nodes;
using RestSharp;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// A stream read with <c>method: POST</c> (docs/profiles.md, "POST bodies"): its <c>body</c> template with
/// <c>{since}</c> and the variables filled in string values, and with <c>inject_into: body</c> the page number,
/// offset, cursor or keyset key written at the paginator's <c>body_path</c>.
/// </summary>
public sealed partial class RestSource
{
    /// <summary>
    /// The <c>check sources</c> probe of <paramref name="stream"/>: a POST stream's request gets its body, with
    /// <c>{since}</c> an hour before <paramref name="now"/> and no paging value; a GET stream's is returned as it is.
    /// </summary>
    internal static RestRequest Probe(RestRequest request, RestStream stream, IReadOnlyDictionary<string, string> variables, DateTimeOffset now)
    {
        if (stream.Method != "POST")
        {
            return request;
        }

        request.Method = Method.Post;
        var since = stream.Incremental is { NewestFirst: false } inc
            ? SinceText(inc, new RestStreamCursor { Since = inc.Format == "id" ? 0 : (now - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds() })
            : null;
        var body = stream.Body is { } template ? (JsonObject)Fill(template, since, stream.Incremental?.Format is "epoch_s" or "epoch_ms" or "id", variables)! : [];
        request.AddStringBody(body.ToJsonString(), ContentType.Json);
        return request;
    }

    private RestRequest WithBody(RestRequest request, RestStream stream, RestStreamCursor position)
    {
        if (stream.Method != "POST")
        {
            return request;
        }

        request.Method = Method.Post;
        var since = stream.Incremental is { NewestFirst: false } inc ? SinceText(inc, position) : null;
        var numeric = stream.Incremental?.Format is "epoch_s" or "epoch_ms" or "id";
        var body = stream.Body is { } template ? (JsonObject)Fill(template, since, numeric, _settings.Variables)! : [];
        if (stream.Paginator is { InjectInto: "body", BodyPath: { } path } paginator && PagingValue(paginator, position) is { } value)
        {
            var node = body;
            foreach (var segment in path.SkipLast(1))
            {
                if (node[segment] is not JsonObject child)
                {
                    child = [];
                    node[segment] = child;
                }

                node = child;
            }

            node[path[^1]] = value;
        }

        request.AddStringBody(body.ToJsonString(), ContentType.Json);
        return request;
    }

    /// <summary>A copy of the template with its strings filled; a string that is just <c>{since}</c> becomes a number for a numeric format.</summary>
    private static JsonNode? Fill(JsonNode? node, string? since, bool numeric, IReadOnlyDictionary<string, string> variables) => node switch
    {
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(kv.Key, Fill(kv.Value, since, numeric, variables)))),
        JsonArray a => new JsonArray([.. a.Select(x => Fill(x, since, numeric, variables))]),
        JsonValue v when v.TryGetValue<string>(out var text) => since is not null && numeric && text == "{since}"
            ? JsonValue.Create(long.Parse(since, CultureInfo.InvariantCulture))
            : JsonValue.Create(Render(since is null ? text : text.Replace("{since}", since, StringComparison.Ordinal), variables, null, null)),
        _ => node?.DeepClone(),
    };

    /// <summary>The paginator's value for the body: the page number, the offset, the cursor (text) or the key (a number when it is one); null on a first page without one.</summary>
    private static JsonNode? PagingValue(RestPaginator paginator, RestStreamCursor position) => paginator.Type switch
    {
        "page_number" => JsonValue.Create(position.Page ?? paginator.StartPage),
        "offset" => JsonValue.Create(position.Offset),
        "cursor" => position.Next is { } next ? JsonValue.Create(next) : null,
        "keyset" => position.Key is not { Length: > 0 } key ? null
            : long.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n) : JsonValue.Create(key),
        _ => null,
    };
}
