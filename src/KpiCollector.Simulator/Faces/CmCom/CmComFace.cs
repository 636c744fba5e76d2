using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.CmCom;

/// <summary>
/// A simulated CM.com Mobile Service Cloud account under <c>/cmcom</c>, written from what is known of its OData
/// reporting API (docs/sources.md, CM.com Mobile Service Cloud), independently of any profile: the
/// <c>conversations</c>, <c>messages</c> and <c>conversationactions</c> entity sets under <c>/odata/</c>, with
/// <c>$filter</c> on <c>CreationDateTime</c> (<c>gt</c>, <c>ge</c>, <c>lt</c>, <c>le</c> against
/// <c>datetime'…'</c>, and <c>Rating ne 'None'</c> on messages, joined by <c>and</c>), <c>$orderby</c>,
/// <c>$expand</c> (a conversation's <c>Messages</c> and <c>ConversationActions</c>), <c>$top</c>/<c>$skip</c> with
/// 1,000 rows a page at most and <c>odata.nextLink</c>, one conversation by key, and Basic authentication with the API
/// key and secret.
/// </summary>
/// <remarks>
/// <para>
/// Shapes follow the documented conversation of the Agent Inbox API (state, channel, owner, messages with sender type
/// Relation or User, scope External or Internal, and a rating), as OData entities in PascalCase with
/// <c>UniqueId</c> keys; dates ISO 8601 without an offset, in UTC. The simulation has no messages, so each
/// conversation's are derived from it: the customer's first message, on every third conversation an agent's internal
/// note before the first reply, the agents' replies, and the customer's rating (Positive for 4-5, Neutral for 3,
/// Negative for 1-2). Bot replies are not there: CM.com's bot (HALO) is a separate product with its own API.
/// Actions: Assign at the first reply, Archive at each resolution, Reopen between two.
/// </para>
/// <para>
/// State: Open (new, open), Snoozed (pending, on hold), Archived (solved, closed). The documented rate limits (3 a
/// second, 180 a minute, 10,000 an hour) are not enforced; 429 comes from the fault.
/// </para>
/// </remarks>
public sealed class CmComFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>Rows a page holds at most.</summary>
    public const int PageSize = 1000;

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["Message"] = "Authorization has been denied for this request." },
        new JsonObject { ["Message"] = "API calls quota exceeded! Maximum admitted 3 per Second." },
        new JsonObject { ["odata.error"] = new JsonObject { ["code"] = "", ["message"] = new JsonObject { ["lang"] = "en-US", ["value"] = "An error has occurred." } } });

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly string _basic;
    private readonly ILogger _logger;

    public CmComFace(SimulatedHelpdesk helpdesk, CmComFaceOptions options, ILogger<CmComFace> logger)
    {
        _helpdesk = helpdesk;
        _basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.ApiKey}:{options.ApiSecret}"));
        _logger = logger;
    }

    public string Name => "cmcom";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        Get(app, "/cmcom/odata/conversations", r => List(r, "conversations", Conversations(r)));
        Get(app, "/cmcom/odata/conversations({key})", One);
        Get(app, "/cmcom/odata/messages", r => List(r, "messages", _helpdesk.Latest().SelectMany(Messages)));
        Get(app, "/cmcom/odata/conversationactions", r => List(r, "conversationactions", _helpdesk.Latest().SelectMany(Actions)));
    }

    private void Get(IEndpointRouteBuilder app, string path, Func<HttpRequest, FaceReply> handler) =>
        app.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, r => r.Headers.Authorization.ToString() == _basic, handler, _logger)));

    private IEnumerable<JsonObject> Conversations(HttpRequest request)
    {
        var expand = request.Query["$expand"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return _helpdesk.Latest().Select(c => Conversation(c, expand));
    }

    /// <summary><c>GET /odata/conversations(guid'…')</c> (or <c>('…')</c>): one conversation, with <c>$expand</c>.</summary>
    private FaceReply One(HttpRequest request)
    {
        var key = request.RouteValues["key"]?.ToString() ?? "";
        key = key.StartsWith("guid", StringComparison.Ordinal) ? key[4..] : key;
        key = key.Trim('\'');
        var conversation = _helpdesk.Latest().FirstOrDefault(c => Guid(c.ExternalId, 'c') == key);
        if (conversation is null)
        {
            return new FaceReply(ODataError($"No entity with the key '{key}' was found."), StatusCodes.Status404NotFound);
        }

        var expand = request.Query["$expand"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var body = Conversation(conversation, expand);
        body.Insert(0, "odata.metadata", $"{Root(request)}/odata/$metadata#conversations/@Element");
        return new FaceReply(body);
    }

    /// <summary>An entity set: <c>$filter</c>, <c>$orderby</c>, <c>$skip</c>/<c>$top</c>, <c>odata.nextLink</c>.</summary>
    private static FaceReply List(HttpRequest request, string set, IEnumerable<JsonObject> rows)
    {
        if (request.Query["$filter"].ToString() is { Length: > 0 } filter)
        {
            if (ParseFilter(filter) is not { } predicate)
            {
                return new FaceReply(ODataError($"The query specified in the URI is not valid: '{filter}'."), StatusCodes.Status400BadRequest);
            }

            rows = rows.Where(predicate);
        }

        var orderBy = request.Query["$orderby"].ToString().Trim();
        var ordered = orderBy switch
        {
            "" or "CreationDateTime" or "CreationDateTime asc" => rows.OrderBy(r => Text(r, "CreationDateTime"), StringComparer.Ordinal),
            "CreationDateTime desc" => rows.OrderByDescending(r => Text(r, "CreationDateTime"), StringComparer.Ordinal),
            _ => null,
        };
        if (ordered is null)
        {
            return new FaceReply(ODataError($"The query specified in the URI is not valid: cannot order by '{orderBy}'."), StatusCodes.Status400BadRequest);
        }

        var all = ordered.ThenBy(r => Text(r, "UniqueId"), StringComparer.Ordinal).ToList();
        var skip = Math.Max(0, Int(request, "$skip") ?? 0);
        var top = Math.Clamp(Int(request, "$top") ?? PageSize, 1, PageSize);
        var page = all.Skip(skip).Take(top).ToList();
        var body = new JsonObject { ["odata.metadata"] = $"{Root(request)}/odata/$metadata#{set}" };
        body["value"] = new JsonArray([.. page.Select(r => (JsonNode)r)]);
        if (skip + page.Count < all.Count)
        {
            var query = string.Join('&', request.Query.Where(q => q.Key != "$skip").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"$skip={skip + page.Count}"));
            body["odata.nextLink"] = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{query}";
        }

        return new FaceReply(body);
    }

    /// <summary>
    /// Terms joined by <c>and</c>: <c>CreationDateTime gt|ge|lt|le datetime'…'</c> (ISO 8601; UTC unless an offset is
    /// given) and <c>Rating ne|eq '…'</c>. Null when it holds anything else.
    /// </summary>
    private static Func<JsonObject, bool>? ParseFilter(string filter)
    {
        var terms = new List<Func<JsonObject, bool>>();
        foreach (var term in filter.Split(" and ", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = term.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3)
            {
                return null;
            }

            var (column, op, literal) = (parts[0], parts[1], parts[2]);
            if (column == "CreationDateTime" && literal.StartsWith("datetime'", StringComparison.Ordinal) && literal.EndsWith('\'')
                && DateTimeOffset.TryParse(literal[9..^1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                Func<JsonObject, bool>? test = op switch
                {
                    "gt" => r => At(r) > at,
                    "ge" => r => At(r) >= at,
                    "lt" => r => At(r) < at,
                    "le" => r => At(r) <= at,
                    _ => null,
                };
                if (test is null)
                {
                    return null;
                }

                terms.Add(test);
            }
            else if (column == "Rating" && op is "eq" or "ne" && literal.Length >= 2 && literal[0] == '\'' && literal[^1] == '\'')
            {
                var value = literal[1..^1];
                terms.Add(op == "eq" ? r => Text(r, "Rating") == value : r => r.ContainsKey("Rating") && Text(r, "Rating") != value);
            }
            else
            {
                return null;
            }
        }

        return terms.Count == 0 ? null : r => terms.All(t => t(r));
    }

    private JsonObject Conversation(Conversation c, string[] expand)
    {
        var messages = Messages(c).ToList();
        var conversation = new JsonObject
        {
            ["UniqueId"] = Guid(c.ExternalId, 'c'),
            ["CreationDateTime"] = Date(c.CreatedAt),
            ["StartDateTime"] = Date(c.CreatedAt),
            ["Subject"] = $"Simulated {c.Channel} conversation",
            ["Channel"] = ChannelName(c.Channel),
            ["State"] = c.Status switch
            {
                ConversationStatus.Pending or ConversationStatus.OnHold => "Snoozed",
                ConversationStatus.Solved or ConversationStatus.Closed => "Archived",
                _ => "Open",
            },
            ["Owner"] = c.AssigneeId is { } a
                ? new JsonObject { ["Type"] = "User", ["Name"] = $"Agent {FaceResponses.Number(a)}", ["EmailAddress"] = $"{a}@simulator.test" }
                : null,
            ["WebStore"] = "Default webstore",
            ["Category"] = c.TicketType is { } t ? char.ToUpperInvariant(t[0]) + t[1..] : "Question",
            ["Tags"] = c.Team ?? "",
        };
        if (expand.Contains("Messages", StringComparer.OrdinalIgnoreCase))
        {
            conversation["Messages"] = new JsonArray([.. messages.Select(m => (JsonNode)m)]);
        }

        if (expand.Contains("ConversationActions", StringComparer.OrdinalIgnoreCase))
        {
            conversation["ConversationActions"] = new JsonArray([.. Actions(c).Select(a => (JsonNode)a)]);
        }

        return conversation;
    }

    /// <summary>The conversation's messages, oldest first (each with its conversation's key, as the messages set has it).</summary>
    private IEnumerable<JsonObject> Messages(Conversation c)
    {
        var conversation = Guid(c.ExternalId, 'c');
        JsonObject Message(int index, DateTimeOffset at, string sender, string scope, string content, string rating = "None") => new()
        {
            ["UniqueId"] = Guid(c.ExternalId, 'm', index), // stable: a message keeps its key however many follow
            ["ConversationId"] = conversation,
            ["CreationDateTime"] = Date(at),
            ["SentDateTime"] = Date(at),
            ["Sender"] = new JsonObject
            {
                ["Type"] = sender,
                ["Name"] = sender == "User" ? $"Agent {FaceResponses.Number(c.AssigneeId) ?? 0}" : $"Customer {FaceResponses.Number(c.RequesterId) ?? 0}",
            },
            ["Content"] = content,
            ["Scope"] = scope,
            ["Rating"] = rating,
        };

        var messages = new List<JsonObject> { Message(0, c.CreatedAt, "Relation", "External", "Hello, I need help with my order.") };
        if (c.FirstHumanResponseAt is { } first)
        {
            if (FaceResponses.Number(c.ExternalId) % 3 == 0)
            {
                messages.Add(Message(1, c.CreatedAt + ((first - c.CreatedAt) / 2), "User", "Internal", "Checking the order with the warehouse."));
            }

            messages.Add(Message(2, first, "User", "External", "Thanks for waiting, here is what I found."));
            var replies = c.AgentPublicReplies ?? 1;
            var end = c.ResolvedAt is { } r && r > first ? r : first;
            for (var i = 1; i < replies && end > first; i++)
            {
                messages.Add(Message(2 + i, first + ((end - first) * i / replies), "User", "External", "A follow-up."));
            }
        }

        if (_helpdesk.CsatOf(c.ExternalId) is { Score: { } score } survey)
        {
            messages.Add(Message(0xffff, survey.RespondedAt, "Relation", "External", "", score >= 4 ? "Positive" : score >= 3 ? "Neutral" : "Negative"));
        }

        return messages.OrderBy(m => Text(m, "CreationDateTime"), StringComparer.Ordinal);
    }

    private static IEnumerable<JsonObject> Actions(Conversation c)
    {
        var conversation = Guid(c.ExternalId, 'c');
        var n = 0; // actions only ever append, so their keys stay stable
        JsonObject Action(DateTimeOffset at, string type) => new()
        {
            ["UniqueId"] = Guid(c.ExternalId, 'a', n++),
            ["ConversationId"] = conversation,
            ["CreationDateTime"] = Date(at),
            ["Type"] = type,
        };

        if (c.FirstHumanResponseAt is { } first)
        {
            yield return Action(first, "Assign");
        }

        var closed = c.Status is ConversationStatus.Solved or ConversationStatus.Closed;
        if (c.FirstResolvedAt is { } resolved)
        {
            yield return Action(resolved, "Archive");
            if (c.ResolvedAt is { } last && last > resolved)
            {
                yield return Action(resolved + ((last - resolved) / 2), "Reopen");
                if (closed)
                {
                    yield return Action(last, "Archive");
                }
            }
        }
        else if (closed)
        {
            yield return Action(c.ResolvedAt ?? c.ClosedAt ?? c.UpdatedAt, "Archive");
        }
    }

    private static string ChannelName(string channel) => channel switch
    {
        Channels.Email => "Email",
        Channels.Chat => "Chat",
        Channels.WhatsApp => "WhatsApp",
        Channels.Phone => "Phone",
        Channels.Social => "Facebook",
        Channels.Sms => "SMS",
        Channels.Web => "Contact form",
        _ => "Api",
    };

    /// <summary>A stable GUID for a simulated id: its number in the last block, the kind in the first.</summary>
    private static string Guid(string externalId, char kind, int index = 0) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)kind:x4}{index:x4}-0000-4000-8000-{FaceResponses.Number(externalId) ?? 0:x12}");

    private static DateTimeOffset At(JsonObject row) =>
        DateTimeOffset.Parse(Text(row, "CreationDateTime")!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static string? Text(JsonObject row, string name) => row[name]?.GetValue<string>();

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Root(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/cmcom";

    private static JsonObject ODataError(string message) =>
        new() { ["odata.error"] = new JsonObject { ["code"] = "", ["message"] = new JsonObject { ["lang"] = "en-US", ["value"] = message } } };

    private static int? Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
