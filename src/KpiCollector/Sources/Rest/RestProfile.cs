using System.Text.RegularExpressions;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Rest;

/// <summary>A loaded, checked REST profile (docs/profiles.md): how to ask a helpdesk's API and map its answers.</summary>
public sealed class RestProfile
{
    public required string Name { get; init; }

    /// <summary>The file (or <c>built-in:name</c>) it was read from, for messages.</summary>
    public required string File { get; init; }

    public string? BaseUrl { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public required RestAuth Auth { get; init; }

    /// <summary>The source's data is complete up to the request time minus this.</summary>
    public TimeSpan WatermarkLag { get; init; }

    /// <summary>The plan's default budget (requests a minute) when the source configures none.</summary>
    public int? RequestsPerMinute { get; init; }

    public required IReadOnlyList<RestStream> Streams { get; init; }
}

/// <summary>The authenticator: <c>bearer</c>, <c>basic</c>, <c>api_key</c> (a header), <c>url_token</c>, <c>oauth2_client_credentials</c>, <c>oauth2_refresh_token</c>.</summary>
public sealed record RestAuth
{
    public required string Type { get; init; }

    public string Username { get; init; } = "{token}";

    public string Password { get; init; } = "";

    public string Token { get; init; } = "{token}";

    public string Header { get; init; } = "Authorization";

    public string? Prefix { get; init; }

    /// <summary>For the OAuth2 types: where the access token is fetched (a template; relative to the base URL unless absolute).</summary>
    public string? TokenUrl { get; init; }

    /// <summary>For the OAuth2 types: the scopes asked for (sent space-separated); none when empty.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>For the OAuth2 types: how the client authenticates at the token endpoint, <c>basic</c> or <c>body</c>.</summary>
    public string ClientAuth { get; init; } = "basic";
}

/// <summary>One endpoint read into one kind of normalized record.</summary>
public sealed record RestStream
{
    public required string Name { get; init; }

    /// <summary><c>conversation</c>, <c>survey</c> or <c>message</c>.</summary>
    public required string Record { get; init; }

    public required string Path { get; init; }

    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    public required JsonPath Selector { get; init; }

    public required RestPaginator Paginator { get; init; }

    public RestIncremental? Incremental { get; init; }

    public required IReadOnlyDictionary<string, RestField> Fields { get; init; }

    /// <summary>For a survey or message stream: where to fetch a conversation this process has not seen (<c>{id}</c>), mapped by the named stream.</summary>
    public (string Stream, string Path)? ConversationLookup { get; init; }

    /// <summary>Whether this stream's end sets the watermark.</summary>
    public bool SetsWatermark { get; init; }

    /// <summary>The stream's own budget (requests a minute), counted on top of the profile's account budget; null for none.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>For a conversation stream: other endpoints read per page, whose fields override the stream's (docs/profiles.md, "Joins").</summary>
    public IReadOnlyList<RestJoin> Joins { get; init; } = [];

    /// <summary>For a conversation stream read oldest first: one budgeted call per changed conversation (docs/profiles.md, "Fan-out").</summary>
    public RestFanOut? FanOut { get; init; }

    /// <summary><c>GET</c> (default) or <c>POST</c>.</summary>
    public string Method { get; init; } = "GET";

    /// <summary>For a POST: the JSON object sent, its string values templates (<c>{since}</c>, variables); null sends <c>{}</c>.</summary>
    public System.Text.Json.Nodes.JsonObject? Body { get; init; }
}

/// <summary>The paginator: <c>none</c>, <c>page_number</c>, <c>offset</c>, <c>link_header</c>, <c>next_url</c>, <c>cursor</c>, <c>keyset</c>.</summary>
public sealed record RestPaginator
{
    public string Type { get; init; } = "none";

    public string PageParam { get; init; } = "page";

    public string? SizeParam { get; init; }

    public int PageSize { get; init; } = 100;

    public int StartPage { get; init; } = 1;

    /// <summary>The API refuses pages past this one (a paging wall); with <see cref="RestIncremental.SlideOnFullPage"/> the filter slides instead.</summary>
    public int? MaxPage { get; init; }

    /// <summary><c>short_page</c>, <c>empty_page</c>, <c>total_field</c>, <c>total_pages_header</c>.</summary>
    public string Stop { get; init; } = "short_page";

    public JsonPath? TotalPath { get; init; }

    public string? TotalPagesHeader { get; init; }

    public string OffsetParam { get; init; } = "offset";

    public string LimitParam { get; init; } = "limit";

    public JsonPath? NextPath { get; init; }

    public string? CursorParam { get; init; }

    /// <summary>For <c>keyset</c>: the tie-break key of a record (JSON path), ordering records that share a cursor value.</summary>
    public JsonPath? KeyField { get; init; }

    /// <summary>For <c>keyset</c>: the query parameter that sends the last record's key with the filter after a walk's first page.</summary>
    public string? KeyParam { get; init; }

    /// <summary><c>query</c> (default) or <c>body</c>: where the page number, offset, cursor or key goes.</summary>
    public string InjectInto { get; init; } = "query";

    /// <summary>With <c>inject_into: body</c>: the dotted path in the body where the value goes, e.g. <c>paging.offset</c>.</summary>
    public IReadOnlyList<string>? BodyPath { get; init; }
}

/// <summary>The incremental cursor: the updated-since filter and the field it advances on.</summary>
public sealed record RestIncremental
{
    /// <summary><c>filter</c> (an updated-since filter in <see cref="Param"/>) or <c>newest_first</c> (no filter; the walk stops at the saved cursor).</summary>
    public string Mode { get; init; } = "filter";

    /// <summary>Whether the stream lists newest first without a filter (RestSource.NewestFirst.cs).</summary>
    public bool NewestFirst => Mode == "newest_first";

    /// <summary>The query parameter that carries the filter; empty for <c>newest_first</c>.</summary>
    public required string Param { get; init; }

    /// <summary>The parameter's value, with <c>{since}</c> where the formatted instant goes (default just <c>{since}</c>).</summary>
    public string Template { get; init; } = "{since}";

    /// <summary><c>iso8601</c>, <c>epoch_s</c>, <c>epoch_ms</c>, <c>date</c>, <c>datetime</c> (<c>yyyy-MM-dd HH:mm:ss</c>), <c>id</c> (the cursor is an integer id, not a time).</summary>
    public string Format { get; init; } = "iso8601";

    public TimeZoneInfo? TimeZone { get; init; }

    public required JsonPath CursorField { get; init; }

    public TimeSpan Lookback { get; init; }

    /// <summary>After a full page, restart at page 1 from the page's last cursor value (a paging wall, or a list that moves).</summary>
    public bool SlideOnFullPage { get; init; }
}

/// <summary>How one normalized field is computed.</summary>
public sealed record RestField
{
    /// <summary>Tried in order; the first that yields a value wins. Each may hold only for some statuses.</summary>
    public IReadOnlyList<(JsonPath Path, IReadOnlySet<ConversationStatus>? WhenStatus)> Paths { get; init; } = [];

    /// <summary>A constant (used when no path is given).</summary>
    public string? Value { get; init; }

    public IReadOnlyDictionary<string, string>? Map { get; init; }

    /// <summary>The value when the path yields something the map does not hold (or any value, without a map).</summary>
    public string? Default { get; init; }

    /// <summary>The value when the path yields nothing.</summary>
    public string? Missing { get; init; }

    /// <summary>Minutes read at this path are added to the timestamp (created + reply minutes).</summary>
    public JsonPath? AddMinutes { get; init; }

    /// <summary>The channel of the conversation named by <c>conversation_id</c> (from this process's cache, else the stream's lookup).</summary>
    public bool FromConversation { get; init; }

    /// <summary><c>first</c> (document order) or <c>last</c>: which value a path that matches several takes.</summary>
    public string Pick { get; init; } = "first";
}

/// <summary>What the profile language knows: record kinds, their fields, the enum values each field accepts.</summary>
public static partial class RestVocabulary
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> FieldsByRecord = new Dictionary<string, IReadOnlyList<string>>
    {
        ["conversation"] =
        [
            "external_id", "channel", "status", "priority", "ticket_type", "team", "requester_id", "assignee_id", "created_at",
            "first_response_at", "first_responder_kind", "bot_handoff_at", "first_human_response_at", "first_resolved_at",
            "resolved_at", "closed_at", "agent_public_replies", "reopens", "handle_time_seconds", "waiting_on_customer_seconds", "updated_at",
        ],
        ["survey"] = ["external_id", "conversation_id", "kind", "score", "scale_min", "scale_max", "responded_at", "channel", "agent_id", "team"],
        ["message"] = ["external_id", "conversation_id", "at", "direction", "author", "channel"],
    };

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredByRecord = new Dictionary<string, IReadOnlyList<string>>
    {
        ["conversation"] = ["external_id", "created_at", "updated_at"],
        ["survey"] = ["external_id", "score", "responded_at"],
        ["message"] = ["external_id", "conversation_id", "at", "direction", "author"],
    };

    /// <summary>The values a mapped field must end up as (its map's values, default and missing).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> EnumFields = new Dictionary<string, IReadOnlyList<string>>
    {
        ["status"] = ConversationStatuses.LabelValues,
        ["channel"] = Channels.Known,
        ["priority"] = ["low", "medium", "high", "urgent"],
        ["first_responder_kind"] = ["bot", "human"],
        ["kind"] = ["csat", "nps", "ces"],
        ["direction"] = ["inbound", "outbound"],
        ["author"] = ["customer", "bot", "human"],
    };

    public static readonly IReadOnlyList<string> AuthTypes = ["bearer", "basic", "api_key", "url_token", "oauth2_client_credentials", "oauth2_refresh_token"];
    public static readonly IReadOnlyList<string> ClientAuthMethods = ["basic", "body"];
    public static readonly IReadOnlyList<string> PaginatorTypes = ["none", "page_number", "offset", "link_header", "next_url", "cursor", "keyset"];
    public static readonly IReadOnlyList<string> StopSignals = ["short_page", "empty_page", "total_field", "total_pages_header"];
    public static readonly IReadOnlyList<string> SinceFormats = ["iso8601", "epoch_s", "epoch_ms", "date", "datetime", "id"];
    public static readonly IReadOnlyList<string> IncrementalModes = ["filter", "newest_first"];
    public static readonly IReadOnlyList<string> Picks = ["first", "last"];
    public static readonly IReadOnlyList<string> Methods = ["GET", "POST"];
    public static readonly IReadOnlyList<string> InjectTargets = ["query", "body"];

    /// <summary>The variables every template may use besides the configured ones.</summary>
    public static readonly IReadOnlyList<string> BuiltInVariables = ["token", "email"];

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    public static partial Regex TemplateVariable();
}
