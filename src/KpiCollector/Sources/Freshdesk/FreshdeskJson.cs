using System.Text.Json;

namespace KpiCollector.Sources.Freshdesk;

// The connector's view of Freshdesk API v2 JSON (docs/sources.md, "Freshdesk facts"), snake_case via SourceJson.Options. Lists
// are bare arrays. Only what the mapping reads is declared; `required` marks what a record is unusable without.

/// <summary>A ticket of <c>GET /api/v2/tickets?include=stats</c>.</summary>
internal sealed record FreshdeskTicket
{
    public required long Id { get; init; }

    /// <summary>2 Open, 3 Pending, 4 Resolved, 5 Closed, 6+ the account's own.</summary>
    public required int Status { get; init; }

    /// <summary>1 Low, 2 Medium, 3 High, 4 Urgent.</summary>
    public int? Priority { get; init; }

    /// <summary>An account-specific code: read the names from <c>/api/v2/ticket_fields</c>.</summary>
    public int? Source { get; init; }

    public string? Type { get; init; }

    public long? RequesterId { get; init; }

    public long? ResponderId { get; init; }

    public long? GroupId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public FreshdeskStats? Stats { get; init; }

    /// <summary>True for a ticket in the trash (<c>GET /api/v2/tickets/{id}</c> still answers it).</summary>
    public bool? Deleted { get; init; }

    /// <summary>True for a ticket marked as spam.</summary>
    public bool? Spam { get; init; }
}

/// <summary><c>GET /api/v2/search/tickets?query="..."&amp;page=</c>: 30 tickets a page (no stats), pages 1 to 10, and the match count.</summary>
internal sealed record FreshdeskSearchPage
{
    public required List<FreshdeskTicket> Results { get; init; }

    public required int Total { get; init; }
}

/// <summary>The <c>stats</c> embed: calendar timestamps only (docs/sources.md, "Freshdesk facts").</summary>
internal sealed record FreshdeskStats
{
    public DateTimeOffset? FirstRespondedAt { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    public DateTimeOffset? ReopenedAt { get; init; }
}

/// <summary>One field of <c>GET /api/v2/ticket_fields</c>; <c>choices</c> differs in shape between fields.</summary>
internal sealed record FreshdeskField
{
    public string? Name { get; init; }

    /// <summary><c>default_status</c>, <c>default_source</c>, ...</summary>
    public string? Type { get; init; }

    public JsonElement Choices { get; init; }
}

/// <summary>One of <c>GET /api/v2/surveys/satisfaction_ratings</c>.</summary>
internal sealed record FreshdeskRating
{
    public required long Id { get; init; }

    public long? TicketId { get; init; }

    public long? AgentId { get; init; }

    public long? GroupId { get; init; }

    /// <summary><c>{ "default_question": 103, "question_2": -102 }</c> on the −103..103 scale.</summary>
    public Dictionary<string, JsonElement>? Ratings { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}
