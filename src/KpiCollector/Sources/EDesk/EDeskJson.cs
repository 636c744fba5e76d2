using System.Text.Json;
using System.Text.Json.Serialization;

namespace KpiCollector.Sources.EDesk;

// The connector's view of eDesk's Open API JSON (docs/sources.md, "eDesk"), snake_case via SourceJson.Options except the
// paginator, which is camelCase. Timestamps are read as JsonElement: a number in the specification, a string in real
// responses (EDeskTime reads both). Only what the mapping reads is declared.

/// <summary>A list response: <c>{ "data": [...], "paginator": { currentPage, itemsPerPage, totalItemsCount } }</c>.</summary>
internal sealed record EDeskPage<T>
{
    public required List<T> Data { get; init; }

    public EDeskPaginator? Paginator { get; init; }
}

internal sealed record EDeskPaginator
{
    [JsonPropertyName("currentPage")]
    public int? CurrentPage { get; init; }

    [JsonPropertyName("itemsPerPage")]
    public int? ItemsPerPage { get; init; }

    [JsonPropertyName("totalItemsCount")]
    public long? TotalItemsCount { get; init; }
}

/// <summary>A ticket of <c>GET /v1/tickets</c>.</summary>
internal sealed record EDeskTicket
{
    public required long Id { get; init; }

    /// <summary>Scheduled, Spam, Unread, Read, Unpriority, Priority, Archived, Open, Pending, Closed.</summary>
    public string? Status { get; init; }

    /// <summary>Chat, Chatbot, Query, Refund, ...</summary>
    public string? Type { get; init; }

    public long? ChannelId { get; init; }

    public required JsonElement CreatedAt { get; init; }

    /// <summary>The time of the ticket's last message (not of any change).</summary>
    public JsonElement LastUpdatedAt { get; init; }

    public long? OwnerUserId { get; init; }

    public long? ContactId { get; init; }

    public List<long>? MessagesIds { get; init; }
}

/// <summary>One message of <c>GET /v1/messages/{id}</c>.</summary>
internal sealed record EDeskMessage
{
    public required long Id { get; init; }

    /// <summary>Message, Note, Status, AutoReply, Rating, AiQuickReply, AiAutoReplyHandsFree, VoiceCall, ...</summary>
    public string? Type { get; init; }

    /// <summary>Incoming, Outgoing or Other.</summary>
    public string? Direction { get; init; }

    public EDeskUser? FromUser { get; init; }

    public required JsonElement CreatedAt { get; init; }

    /// <summary>The text; for a Status message, the status it set.</summary>
    public string? Body { get; init; }

    /// <summary>The score of a Rating message.</summary>
    public double? Rating { get; init; }
}

internal sealed record EDeskUser
{
    public long? Id { get; init; }

    public string? Name { get; init; }

    public string? Role { get; init; }
}

/// <summary>One of <c>GET /v1/channels</c>: a marketplace, mailbox, chat or social account connected to eDesk.</summary>
internal sealed record EDeskChannel
{
    public required long Id { get; init; }

    public string? Name { get; init; }

    public string? Type { get; init; }
}
