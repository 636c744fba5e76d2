using System.Text.Json;

namespace KpiCollector.Sources.Zendesk;

// The connector's view of Zendesk's JSON (docs/sources.md, "Zendesk facts"), snake_case via SourceJson.Options. Only what the
// mapping reads is declared; everything else the API sends is ignored. `required` marks what a page is unusable
// without: a missing one is a parse failure that names the field.

/// <summary>A page of <c>GET /api/v2/incremental/tickets/cursor.json?include=metric_sets</c>.</summary>
internal sealed record TicketExportPage
{
    public required List<ZendeskTicket> Tickets { get; init; }

    /// <summary>The <c>metric_sets</c> sideload, joined to tickets by <c>ticket_id</c>.</summary>
    public List<ZendeskMetricSet>? MetricSets { get; init; }

    public string? AfterCursor { get; init; }

    public required bool EndOfStream { get; init; }
}

internal sealed record ZendeskTicket
{
    public required long Id { get; init; }

    /// <summary><c>new, open, pending, hold, solved, closed</c>, and <c>deleted</c> in exports.</summary>
    public string? Status { get; init; }

    public long? CustomStatusId { get; init; }

    public string? Type { get; init; }

    public string? Priority { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public long? RequesterId { get; init; }

    public long? AssigneeId { get; init; }

    public long? GroupId { get; init; }

    public ZendeskVia? Via { get; init; }

    /// <summary>
    /// The legacy CSAT state: <c>{ "score": "unoffered" }</c>, <c>{ "id", "score": "offered" }</c>, or the answer
    /// <c>{ "id", "score": "good" | "bad", "comment" }</c> (no times). Read leniently: null on plans without CSAT.
    /// </summary>
    public JsonElement SatisfactionRating { get; init; }
}

internal sealed record ZendeskVia
{
    /// <summary>A via type string (<c>"whatsapp"</c>) or, in some payloads, an integer via id.</summary>
    public JsonElement Channel { get; init; }
}

/// <summary>Ticket metrics (docs/sources.md, "Zendesk facts"). Any of them may be null while the metric is still running.</summary>
internal sealed record ZendeskMetricSet
{
    public required long TicketId { get; init; }

    public ZendeskDuration? ReplyTimeInMinutes { get; init; }

    /// <summary>Messaging tickets only, calendar time only.</summary>
    public ZendeskDuration? ReplyTimeInSeconds { get; init; }

    public ZendeskDuration? FirstResolutionTimeInMinutes { get; init; }

    public ZendeskDuration? FullResolutionTimeInMinutes { get; init; }

    public ZendeskDuration? AgentWaitTimeInMinutes { get; init; }

    public int? Reopens { get; init; }

    /// <summary>Public agent replies.</summary>
    public int? Replies { get; init; }

    public DateTimeOffset? SolvedAt { get; init; }
}

internal sealed record ZendeskDuration
{
    public double? Calendar { get; init; }

    public double? Business { get; init; }
}

/// <summary><c>GET /api/v2/satisfaction_ratings/{id}</c>.</summary>
internal sealed record RatingResponse
{
    public required ZendeskRating SatisfactionRating { get; init; }
}

/// <summary>A page of <c>GET /api/v2/satisfaction_ratings</c> (cursor pagination).</summary>
internal sealed record RatingsPage
{
    public required List<ZendeskRating> SatisfactionRatings { get; init; }

    public ZendeskPageMeta? Meta { get; init; }
}

internal sealed record ZendeskPageMeta
{
    public bool HasMore { get; init; }

    public string? AfterCursor { get; init; }
}

internal sealed record ZendeskRating
{
    public required long Id { get; init; }

    public long? TicketId { get; init; }

    /// <summary><c>offered, unoffered, good, bad</c>.</summary>
    public required string Score { get; init; }

    public long? AssigneeId { get; init; }

    public long? GroupId { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}

/// <summary>A page of <c>GET /api/v2/guide/survey_responses</c> (the newer CSAT; cursor pagination).</summary>
internal sealed record SurveyResponsesPage
{
    public required List<ZendeskSurveyResponse> SurveyResponses { get; init; }

    public ZendeskPageMeta? Meta { get; init; }
}

/// <summary>
/// One CSAT survey response. Zendesk documents no <c>created_at</c>/<c>updated_at</c> on the response itself (its
/// answers carry them); they are read when present.
/// </summary>
internal sealed record ZendeskSurveyResponse
{
    /// <summary>A ULID string.</summary>
    public required string Id { get; init; }

    /// <summary>Zendesk resource names: <c>zen:ticket:123</c>, <c>zen:conversation:…</c>.</summary>
    public List<string>? SubjectZrns { get; init; }

    public List<ZendeskSubject>? Subjects { get; init; }

    public List<ZendeskAnswer>? Answers { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}

internal sealed record ZendeskSubject
{
    /// <summary><c>ticket</c>, <c>request</c>, <c>conversation</c>.</summary>
    public string? Type { get; init; }

    public string? Zrn { get; init; }
}

/// <summary>An answer: <c>skipped</c>, <c>closed_ended</c>, <c>open_ended</c> or <c>rating_scale</c> (with <c>rating</c>).</summary>
internal sealed record ZendeskAnswer
{
    public required string Type { get; init; }

    public double? Rating { get; init; }

    public ZendeskQuestion? Question { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}

internal sealed record ZendeskQuestion
{
    /// <summary><c>rating_scale_numeric</c>, <c>rating_scale_emoji</c>, <c>rating_scale_custom_text</c>, <c>open_ended</c>, ...</summary>
    public string? Type { get; init; }

    /// <summary>For rating scales: <c>customer_satisfaction</c> or <c>other</c>.</summary>
    public string? SubType { get; init; }

    /// <summary>The scale's options, each with its numeric <c>rating</c>; not always sent.</summary>
    public List<ZendeskRatingOption>? Options { get; init; }
}

internal sealed record ZendeskRatingOption
{
    public double? Rating { get; init; }
}

/// <summary><c>GET /api/v2/tickets/show_many.json?ids=...</c>, with the <c>metric_sets</c> sideload when asked (<c>include=metric_sets</c>).</summary>
internal sealed record TicketsResponse
{
    public required List<ZendeskTicket> Tickets { get; init; }

    public List<ZendeskMetricSet>? MetricSets { get; init; }
}

/// <summary><c>GET /api/v2/custom_statuses.json</c>.</summary>
internal sealed record CustomStatusesResponse
{
    public required List<ZendeskCustomStatus> CustomStatuses { get; init; }
}

internal sealed record ZendeskCustomStatus
{
    public required long Id { get; init; }

    /// <summary><c>new, open, pending, hold, solved</c>.</summary>
    public required string StatusCategory { get; init; }
}

/// <summary>
/// A page of <c>GET /api/v2/search/export?query=...&amp;filter[type]=ticket</c>: tickets (each with
/// <c>result_type: "ticket"</c>), cursor paging in <c>meta</c>.
/// </summary>
internal sealed record SearchExportPage
{
    public required List<ZendeskTicket> Results { get; init; }

    public ZendeskPageMeta? Meta { get; init; }
}
