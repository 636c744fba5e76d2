using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Bitrix24;

// The connector's view of Bitrix24's REST answers (docs/sources.md, "Bitrix24 Open Channels"). Every answer is
// { "result": ..., "time": {...} } or { "error": "...", "error_description": "..." }. Bitrix24 writes numbers as strings
// and an empty map as [] (PHP), so objects are read leniently: an object keyed by id or an array of items.

/// <summary>The answer of <c>crm.activity.list</c>: a page of activities (at most 50).</summary>
internal sealed record Bitrix24ActivityPage
{
    [JsonPropertyName("result")]
    public required List<Bitrix24Activity> Result { get; init; }
}

/// <summary>One CRM activity of the open-line provider: one open-line session.</summary>
internal sealed record Bitrix24Activity
{
    [JsonPropertyName("ID")]
    public required long Id { get; init; }

    /// <summary>The session's id (<c>SESSION_ID</c> of <c>imopenlines.session.history.get</c>).</summary>
    [JsonPropertyName("ASSOCIATED_ENTITY_ID")]
    public long? AssociatedEntityId { get; init; }

    /// <summary>The open-line connector of the session (whatsappbyedna, telegrambot, livechat, ...).</summary>
    [JsonPropertyName("PROVIDER_TYPE_ID")]
    public string? ProviderTypeId { get; init; }

    [JsonPropertyName("CREATED")]
    public string? Created { get; init; }

    [JsonPropertyName("START_TIME")]
    public string? StartTime { get; init; }

    [JsonPropertyName("END_TIME")]
    public string? EndTime { get; init; }

    [JsonPropertyName("LAST_UPDATED")]
    public string? LastUpdated { get; init; }

    /// <summary><c>Y</c> once the session is closed.</summary>
    [JsonPropertyName("COMPLETED")]
    public string? Completed { get; init; }

    /// <summary>The operator the session is assigned to.</summary>
    [JsonPropertyName("RESPONSIBLE_ID")]
    public long? ResponsibleId { get; init; }
}

/// <summary>What the connector reads of <c>imopenlines.session.history.get</c>.</summary>
internal sealed record Bitrix24History(IReadOnlyList<Bitrix24Message> Messages, int? Vote);

/// <summary>One message of a session: who wrote it (customer, bot, operator, system) and when.</summary>
internal sealed record Bitrix24Message(long Id, DateTimeOffset At, Bitrix24Author Author);

internal enum Bitrix24Author
{
    System,
    Customer,
    Bot,
    Operator,
}

/// <summary>Reads the answers whose shapes JSON binding cannot take as they are (maps that may be arrays).</summary>
internal static class Bitrix24Json
{
    /// <summary>
    /// <c>batch</c>: <c>{"result": {"result": {cmd: answer}, "result_error": {cmd: {error, error_description}}}}</c>,
    /// either map possibly an empty array.
    /// </summary>
    public static (Dictionary<string, JsonElement> Results, Dictionary<string, string> Errors) Batch(string? body)
    {
        using var doc = Document(body, "batch");
        if (!doc.RootElement.TryGetProperty("result", out var outer) || outer.ValueKind != JsonValueKind.Object)
        {
            throw SourceJson.Malformed("batch", "$.result", "missing or not an object");
        }

        var results = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (outer.TryGetProperty("result", out var r))
        {
            foreach (var (key, value) in Entries(r, "batch", "$.result.result"))
            {
                results[key] = value.Clone();
            }
        }

        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (outer.TryGetProperty("result_error", out var e))
        {
            foreach (var (key, value) in Entries(e, "batch", "$.result.result_error"))
            {
                errors[key] = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("error", out var code) && code.ValueKind == JsonValueKind.String
                    ? code.GetString()! + (value.TryGetProperty("error_description", out var d) && d.ValueKind == JsonValueKind.String ? ": " + d.GetString() : "")
                    : "error";
            }
        }

        return (results, errors);
    }

    /// <summary>
    /// One <c>imopenlines.session.history.get</c> answer: <c>message</c> (by id) with <c>author_id</c> and <c>date</c>;
    /// <c>users</c> (by id) with <c>bot</c> and <c>connector</c> (a customer writing through a connector); the
    /// customer's vote (5 like, 1 dislike, 0 none). Author 0 is the system.
    /// </summary>
    public static Bitrix24History History(JsonElement result, string path)
    {
        const string What = "session history";
        if (result.ValueKind != JsonValueKind.Object)
        {
            throw SourceJson.Malformed(What, path, "not an object");
        }

        var users = new Dictionary<long, Bitrix24Author>();
        if (result.TryGetProperty("users", out var u))
        {
            foreach (var (key, user) in Entries(u, What, $"{path}.users"))
            {
                if (user.ValueKind != JsonValueKind.Object)
                {
                    throw SourceJson.Malformed(What, $"{path}.users.{key}", "not an object");
                }

                var id = Long(user, "id", What, $"{path}.users.{key}") ?? (long.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? k : 0);
                users[id] = Flag(user, "connector") ? Bitrix24Author.Customer : Flag(user, "bot") ? Bitrix24Author.Bot : Bitrix24Author.Operator;
            }
        }

        var messages = new List<Bitrix24Message>();
        if (result.TryGetProperty("message", out var m))
        {
            foreach (var (key, message) in Entries(m, What, $"{path}.message"))
            {
                var at = $"{path}.message.{key}";
                if (message.ValueKind != JsonValueKind.Object)
                {
                    throw SourceJson.Malformed(What, at, "not an object");
                }

                var id = Long(message, "id", What, at) ?? throw SourceJson.Malformed(What, $"{at}.id", "missing");
                var author = Long(message, "author_id", What, at) ?? 0;
                var date = message.TryGetProperty("date", out var d) && d.ValueKind == JsonValueKind.String ? Date(d.GetString(), What, $"{at}.date") : null;
                if (date is null)
                {
                    throw SourceJson.Malformed(What, $"{at}.date", "missing or not a date");
                }

                messages.Add(new Bitrix24Message(id, date.Value, author == 0 ? Bitrix24Author.System : users.GetValueOrDefault(author, Bitrix24Author.Operator)));
            }
        }

        int? vote = result.TryGetProperty("sessionVote", out _) ? (int)(Long(result, "sessionVote", What, path) ?? 0) : null;
        return new Bitrix24History([.. messages.OrderBy(x => x.At).ThenBy(x => x.Id)], vote);
    }

    /// <summary>A Bitrix24 date: ISO 8601 with its offset (<c>2026-11-02T12:00:00+03:00</c>); null for null or empty.</summary>
    public static DateTimeOffset? Date(string? text, string what, string path)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw SourceJson.Malformed(what, path, "not an ISO 8601 date");
    }

    /// <summary>The error of a refused call (<c>{"error": "...", "error_description": "..."}</c>), or null.</summary>
    public static string? Error(string? body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body ?? "");
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonDocument Document(string? body, string what)
    {
        try
        {
            return JsonDocument.Parse(body ?? "");
        }
        catch (JsonException ex)
        {
            throw new SourceException(ErrorReasons.Parse, $"{what}: malformed response at {ex.Path ?? "$"}: not JSON", ex);
        }
    }

    /// <summary>The entries of a map Bitrix24 may write as an object (keyed) or as an array (keyed by position).</summary>
    private static IEnumerable<(string Key, JsonElement Value)> Entries(JsonElement map, string what, string path) => map.ValueKind switch
    {
        JsonValueKind.Object => map.EnumerateObject().Select(p => (p.Name, p.Value)).ToList(),
        JsonValueKind.Array => map.EnumerateArray().Select((e, i) => (i.ToString(CultureInfo.InvariantCulture), e)).ToList(),
        JsonValueKind.Null => [],
        _ => throw SourceJson.Malformed(what, path, "neither an object nor an array"),
    };

    private static long? Long(JsonElement element, string name, string what, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n))
        {
            return n;
        }

        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s))
        {
            return s;
        }

        throw SourceJson.Malformed(what, $"{path}.{name}", "not an integer");
    }

    private static bool Flag(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.String => value.GetString() is "Y" or "true" or "1",
            JsonValueKind.Number => value.TryGetInt32(out var n) && n != 0,
            _ => false,
        };
}
