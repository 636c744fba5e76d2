using System.Globalization;
using System.Text.Json.Nodes;

namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// A simulated WhatsApp Business Account on the Graph API under <c>/whatsapp</c>, written from Meta's documentation
/// (docs/sources.md, WhatsApp: "Endpoints called and served" and "What is read, and how it maps"), independently of the
/// connector: <c>GET /whatsapp/{version}/{wabaId}?fields=…</c> with <c>id</c>, <c>name</c>, <c>currency</c>,
/// <c>pricing_analytics</c>, <c>conversation_analytics</c> and <c>analytics</c>, each analytics field with its own
/// granularity names and its own response shape.
/// </summary>
/// <remarks>
/// <para>
/// Figures come from <see cref="SimulatedWhatsApp"/>: service messages (free, SERVICE / FREE_CUSTOMER_SERVICE) are the
/// simulation's delivered outbound WhatsApp replies, user-initiated SERVICE conversations its WhatsApp conversations,
/// and the template traffic derived from them is REGULAR and charged per message (utility, marketing,
/// authentication), each template also a business-initiated conversation of its category at the same price.
/// </para>
/// <para>
/// Periods (HALF_HOUR, DAILY/DAY, MONTHLY/MONTH) are aligned to UTC; a point covers a whole period that overlaps
/// [start, end) and has started, the current one with what happened so far. Points whose count is 0 are left out. A
/// reversed range is empty, a start more than a year back is refused. Every reply, errors included, carries
/// <c>x-fb-trace-id</c> and <c>x-business-use-case-usage</c> (the percent of the hourly call budget used).
/// </para>
/// </remarks>
public sealed class WhatsAppFace : IFace
{
    /// <summary>How far behind the clock the analytics are complete.</summary>
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>How far back analytics reach (since 2025-12-01).</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(365);

    public const decimal UtilityPrice = 0.0113m;
    public const decimal MarketingPrice = 0.0625m;
    public const decimal AuthenticationPrice = 0.0135m;

    /// <summary>Every contact has a German number.</summary>
    public const string Country = "DE";

    private static readonly string[] PricingGranularities = ["DAILY", "MONTHLY", "HALF_HOUR"];
    private static readonly string[] ConversationGranularities = ["HALF_HOUR", "DAILY", "MONTHLY"];
    private static readonly string[] MessagingGranularities = ["HALF_HOUR", "DAY", "MONTH"];
    private static readonly string[] PricingDimensions = ["PHONE", "COUNTRY", "PRICING_CATEGORY", "PRICING_TYPE", "TIER"];
    private static readonly string[] ConversationDimensions = ["CONVERSATION_CATEGORY", "CONVERSATION_TYPE", "CONVERSATION_DIRECTION", "COUNTRY", "PHONE"];

    private readonly SimulatedWhatsApp _whatsApp;
    private readonly WhatsAppFaceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HourBudget _budget;

    public WhatsAppFace(SimulatedWhatsApp whatsApp, WhatsAppFaceOptions options, TimeProvider time, ILogger<WhatsAppFace> logger)
    {
        _whatsApp = whatsApp;
        _options = options;
        _time = time;
        _logger = logger;
        _budget = new HourBudget(options.CallsPerHour, time);
    }

    public string Name => "whatsapp";

    public FaultPlan Faults { get; } = new();

    public void CatchUp() => _whatsApp.CatchUp();

    public void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/whatsapp/{version:regex(^v\\d+\\.\\d+$)}/{wabaId}", (Delegate)((HttpContext context) =>
        {
            var trace = GraphErrors.TraceId();
            context.Response.Headers["x-fb-trace-id"] = trace;
            context.Response.Headers["x-business-use-case-usage"] = Usage(_budget.Spend());
            return FaceServer.ServeAsync(context, this, GraphErrors.ForFaults(trace), Authorized, r => Node(r, trace), _logger);
        }));

    /// <summary>The usage header: one entry for the WABA, <c>call_count</c> in percent of the hourly budget.</summary>
    private string Usage(int percent) => new JsonObject
    {
        [_options.WabaId] = new JsonArray(new JsonObject
        {
            ["type"] = "whatsapp_business_management",
            ["call_count"] = percent,
            ["total_cputime"] = 1,
            ["total_time"] = 1,
            ["estimated_time_to_regain_access"] = 0,
        }),
    }.ToJsonString();

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : request.Query["access_token"].ToString();
        return token.Length > 0 && (token == _options.AccessToken || token == _options.UnassignedAccessToken);
    }

    private bool Unassigned(HttpRequest request) =>
        request.Headers.Authorization.ToString() == "Bearer " + _options.UnassignedAccessToken || request.Query["access_token"].ToString() == _options.UnassignedAccessToken;

    private FaceReply Node(HttpRequest request, string trace)
    {
        var waba = request.RouteValues["wabaId"]?.ToString() ?? "";
        if (waba != _options.WabaId || Unassigned(request))
        {
            return new FaceReply(GraphErrors.Error(
                trace,
                $"Unsupported get request. Object with ID '{waba}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
                "GraphMethodException", 100, 33), StatusCodes.Status400BadRequest);
        }

        var fields = request.Query.ContainsKey("fields") ? GraphField.ParseList(request.Query["fields"].ToString()) : [new GraphField("name", new Dictionary<string, string>())];
        if (fields is null)
        {
            return Invalid(trace, $"fields '{request.Query["fields"]}' does not parse: unbalanced brackets or a modifier without parentheses");
        }

        var body = new JsonObject();
        foreach (var field in fields)
        {
            JsonNode? value;
            string? error;
            switch (field.Name)
            {
                case "id":
                    continue;
                case "name":
                    (value, error) = ("Simulated Support", null);
                    break;
                case "currency":
                    (value, error) = (_options.Currency, null);
                    break;
                case "pricing_analytics":
                    (value, error) = Pricing(field);
                    break;
                case "conversation_analytics":
                    (value, error) = Conversations(field);
                    break;
                case "analytics":
                    (value, error) = Messaging(field);
                    break;
                default:
                    return new FaceReply(GraphErrors.Error(trace, $"(#100) Tried accessing nonexisting field ({field.Name}) on node type (WhatsAppBusinessAccount)", "OAuthException", 100), StatusCodes.Status400BadRequest);
            }

            if (error is not null)
            {
                return Invalid(trace, error);
            }

            body[field.Name] = value;
        }

        body["id"] = _options.WabaId;
        return new FaceReply(body);
    }

    private static FaceReply Invalid(string trace, string details) => new(GraphErrors.InvalidParameter(trace, details), StatusCodes.Status400BadRequest);

    /// <summary><c>pricing_analytics</c>: <c>data[].data_points[]</c> with volume and cost per period and dimension combination.</summary>
    private (JsonNode? Value, string? Error) Pricing(GraphField field)
    {
        var (periods, error) = Periods(field, PricingGranularities);
        if (error is not null || Dimensions(field, PricingDimensions) is not { } dimensions)
        {
            return (null, error ?? DimensionError(field, PricingDimensions));
        }

        var categories = field.ListOf("pricing_categories");
        var types = field.ListOf("pricing_types");
        var metrics = field.ListOf("metric_types");
        var (volume, cost) = (metrics?.Contains("VOLUME") ?? true, (metrics?.Contains("COST") ?? true) && !_options.PartnerBilled);
        var points = new JsonArray();
        foreach (var (start, end, c) in (periods ?? []).Where(_ => InScope(field)))
        {
            Row[] rows =
            [
                new("SERVICE", "FREE_CUSTOMER_SERVICE", "USER_INITIATED", c.ServiceMessages, 0m),
                new("UTILITY", "REGULAR", "BUSINESS_INITIATED", c.Utility, UtilityPrice),
                new("MARKETING", "REGULAR", "BUSINESS_INITIATED", c.Marketing, MarketingPrice),
                new("AUTHENTICATION", "REGULAR", "BUSINESS_INITIATED", c.Authentication, AuthenticationPrice),
            ];
            var selected = rows.Where(r => r.Count > 0 && (categories?.Contains(r.Category) ?? true) && (types?.Contains(r.Type) ?? true));
            foreach (var group in selected.GroupBy(r => (
                Category: dimensions.Contains("PRICING_CATEGORY") ? r.Category : null,
                Type: dimensions.Contains("PRICING_TYPE") ? r.Type : null)))
            {
                var point = new JsonObject { ["start"] = start.ToUnixTimeSeconds(), ["end"] = end.ToUnixTimeSeconds() };
                AddScope(point, dimensions);
                if (group.Key.Category is { } category)
                {
                    point["pricing_category"] = category;
                }

                if (group.Key.Type is { } type)
                {
                    point["pricing_type"] = type;
                }

                if (dimensions.Contains("TIER"))
                {
                    point["tier"] = "0:250000";
                }

                if (volume)
                {
                    point["volume"] = group.Sum(r => r.Count);
                }

                if (cost)
                {
                    point["cost"] = (double)group.Sum(r => r.Count * r.Price);
                }

                points.Add(point);
            }
        }

        return (Wrapped(periods, points), null);
    }

    /// <summary><c>conversation_analytics</c>: <c>data[].data_points[]</c> with conversations and cost per period and dimension combination.</summary>
    private (JsonNode? Value, string? Error) Conversations(GraphField field)
    {
        var (periods, error) = Periods(field, ConversationGranularities);
        if (error is not null || Dimensions(field, ConversationDimensions) is not { } dimensions)
        {
            return (null, error ?? DimensionError(field, ConversationDimensions));
        }

        var categories = field.ListOf("conversation_categories");
        var types = field.ListOf("conversation_types");
        var directions = field.ListOf("conversation_directions");
        var metrics = field.ListOf("metric_types");
        var (count, cost) = (metrics?.Contains("CONVERSATION") ?? true, (metrics?.Contains("COST") ?? true) && !_options.PartnerBilled);
        var points = new JsonArray();
        foreach (var (start, end, c) in (periods ?? []).Where(_ => InScope(field)))
        {
            Row[] rows =
            [
                new("SERVICE", "REGULAR", "USER_INITIATED", c.UserConversations, 0m),
                new("UTILITY", "REGULAR", "BUSINESS_INITIATED", c.Utility, UtilityPrice),
                new("MARKETING", "REGULAR", "BUSINESS_INITIATED", c.Marketing, MarketingPrice),
                new("AUTHENTICATION", "REGULAR", "BUSINESS_INITIATED", c.Authentication, AuthenticationPrice),
            ];
            var selected = rows.Where(r => r.Count > 0 && (categories?.Contains(r.Category) ?? true) && (types?.Contains(r.Type) ?? true) && (directions?.Contains(r.Direction) ?? true));
            foreach (var group in selected.GroupBy(r => (
                Category: dimensions.Contains("CONVERSATION_CATEGORY") ? r.Category : null,
                Type: dimensions.Contains("CONVERSATION_TYPE") ? r.Type : null,
                Direction: dimensions.Contains("CONVERSATION_DIRECTION") ? r.Direction : null)))
            {
                var point = new JsonObject { ["start"] = start.ToUnixTimeSeconds(), ["end"] = end.ToUnixTimeSeconds() };
                if (count)
                {
                    point["conversation"] = group.Sum(r => r.Count);
                }

                if (cost)
                {
                    point["cost"] = (double)group.Sum(r => r.Count * r.Price);
                }

                if (group.Key.Category is { } category)
                {
                    point["conversation_category"] = category;
                }

                if (group.Key.Type is { } type)
                {
                    point["conversation_type"] = type;
                }

                if (group.Key.Direction is { } direction)
                {
                    point["conversation_direction"] = direction;
                }

                AddScope(point, dimensions);
                points.Add(point);
            }
        }

        return (Wrapped(periods, points), null);
    }

    /// <summary><c>analytics</c> (messaging): <c>data_points[]</c> with sent and delivered, no <c>data[]</c> wrapper, DAY/MONTH names.</summary>
    private (JsonNode? Value, string? Error) Messaging(GraphField field)
    {
        var (periods, error) = Periods(field, MessagingGranularities);
        if (error is not null)
        {
            return (null, error);
        }

        var points = new JsonArray();
        foreach (var (start, end, c) in (periods ?? []).Where(_ => InScope(field)))
        {
            var templates = c.Utility + c.Marketing + c.Authentication;
            if (c.Sent + templates > 0)
            {
                points.Add(new JsonObject
                {
                    ["start"] = start.ToUnixTimeSeconds(),
                    ["end"] = end.ToUnixTimeSeconds(),
                    ["sent"] = c.Sent + templates,
                    ["delivered"] = c.Delivered + templates,
                });
            }
        }

        return (new JsonObject
        {
            ["phone_numbers"] = new JsonArray(_options.DisplayPhoneNumber),
            ["granularity"] = field.Modifiers["granularity"],
            ["data_points"] = points,
        }, null);
    }

    /// <summary>The <c>data[]</c> wrapper; a reversed range (no periods at all) is an empty <c>data</c>.</summary>
    private static JsonObject Wrapped(List<(DateTimeOffset, DateTimeOffset, SimulatedWhatsApp.Counts)>? periods, JsonArray points) =>
        new() { ["data"] = periods is null ? new JsonArray() : new JsonArray(new JsonObject { ["data_points"] = points }) };

    /// <summary>
    /// The periods of the field's <c>start</c>/<c>end</c>/<c>granularity</c> that overlap [start, end) and have
    /// started, with their figures; null for a reversed range. An error for a missing or invalid modifier.
    /// </summary>
    private (List<(DateTimeOffset Start, DateTimeOffset End, SimulatedWhatsApp.Counts Counts)>? Periods, string? Error) Periods(GraphField field, string[] granularities)
    {
        if (!field.Modifiers.TryGetValue("start", out var startText) || !field.Modifiers.TryGetValue("end", out var endText) || !field.Modifiers.TryGetValue("granularity", out var granularity))
        {
            return (null, $"{field.Name} needs start, end and granularity");
        }

        if (!long.TryParse(startText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var startUnix) || !long.TryParse(endText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var endUnix))
        {
            return (null, $"{field.Name}: start '{startText}' and end '{endText}' must be unix timestamps in seconds");
        }

        if (!granularities.Contains(granularity))
        {
            return (null, $"{field.Name}: granularity '{granularity}' is not valid; allowed: {string.Join(", ", granularities)}");
        }

        var now = _time.GetUtcNow();
        var start = DateTimeOffset.FromUnixTimeSeconds(startUnix);
        if (start < now - Lookback)
        {
            return (null, $"{field.Name}: start {startUnix} is more than one year ago; analytics only reach one year back");
        }

        if (endUnix < startUnix)
        {
            return (null, null);
        }

        // One pass over the half hours since the first period (none lie past the horizon): periods without any are left out anyway.
        var end = DateTimeOffset.FromUnixTimeSeconds(endUnix);
        var periods = _whatsApp.Buckets(PeriodStart(start, granularity), DateTimeOffset.MaxValue)
            .GroupBy(b => PeriodStart(b.Start, granularity))
            .Where(g => g.Key < end)
            .Select(g => (g.Key, PeriodEnd(g.Key, granularity), g.Aggregate(default(SimulatedWhatsApp.Counts), (sum, b) => sum + b.Counts)))
            .ToList();
        return (periods, null);
    }

    private static DateTimeOffset PeriodStart(DateTimeOffset at, string granularity) => granularity switch
    {
        "HALF_HOUR" => new DateTimeOffset(at.UtcTicks - at.UtcTicks % SimulatedWhatsApp.BucketLength.Ticks, TimeSpan.Zero),
        "MONTHLY" or "MONTH" => new DateTimeOffset(at.UtcDateTime.Year, at.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero),
        _ => new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero),
    };

    private static DateTimeOffset PeriodEnd(DateTimeOffset start, string granularity) => granularity switch
    {
        "HALF_HOUR" => start + SimulatedWhatsApp.BucketLength,
        "MONTHLY" or "MONTH" => start.AddMonths(1),
        _ => start.AddDays(1),
    };

    /// <summary>The requested dimensions (none: aggregate over everything), or null when one is unknown.</summary>
    private static HashSet<string>? Dimensions(GraphField field, string[] allowed)
    {
        var dimensions = field.ListOf("dimensions") ?? [];
        return dimensions.All(allowed.Contains) ? [.. dimensions] : null;
    }

    private static string DimensionError(GraphField field, string[] allowed) =>
        $"{field.Name}: dimensions [{string.Join(", ", (field.ListOf("dimensions") ?? []).Where(d => !allowed.Contains(d)))}] not valid; allowed: {string.Join(", ", allowed)}";

    /// <summary>Whether the field's <c>phone_numbers</c> and <c>country_codes</c> filters, if any, include the WABA's number and its contacts' country.</summary>
    private bool InScope(GraphField field) =>
        (field.ListOf("phone_numbers")?.Contains(_options.DisplayPhoneNumber) ?? true) && (field.ListOf("country_codes")?.Contains(Country) ?? true);

    private void AddScope(JsonObject point, HashSet<string> dimensions)
    {
        if (dimensions.Contains("PHONE"))
        {
            point["phone_number"] = _options.DisplayPhoneNumber;
        }

        if (dimensions.Contains("COUNTRY"))
        {
            point["country"] = Country;
        }
    }

    private readonly record struct Row(string Category, string Type, string Direction, int Count, decimal Price);
}
