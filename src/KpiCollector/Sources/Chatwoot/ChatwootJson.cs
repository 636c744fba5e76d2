using System.Text.Json;

namespace KpiCollector.Sources.Chatwoot;

// The connector's view of Chatwoot's JSON (docs/sources.md, "Chatwoot facts"; from Chatwoot's jbuilder views), snake_case via
// SourceJson.Options. Timestamps are epoch seconds, and 0 where Rails had nil (first_reply_created_at,
// waiting_since). Only what the mapping reads is declared.

/// <summary><c>GET /api</c>: the install's version.</summary>
internal sealed record ChatwootVersion
{
    public string? Version { get; init; }
}

/// <summary><c>GET /api/v1/accounts/{id}/conversations</c>: <c>{ data: { meta, payload: [...] } }</c>.</summary>
internal sealed record ConversationsResponse
{
    public required ConversationsData Data { get; init; }
}

internal sealed record ConversationsData
{
    public ConversationsMeta? Meta { get; init; }

    public required List<ChatwootConversation> Payload { get; init; }
}

/// <summary>The counts of the filtered list; <c>all_count</c> is every conversation the list matches, over all its pages.</summary>
internal sealed record ConversationsMeta
{
    public int? AllCount { get; init; }
}

internal sealed record ChatwootConversation
{
    /// <summary>The per-account display id.</summary>
    public required long Id { get; init; }

    public long? InboxId { get; init; }

    /// <summary><c>open, resolved, pending, snoozed</c>.</summary>
    public required string Status { get; init; }

    public string? Priority { get; init; }

    public required long CreatedAt { get; init; }

    public required double UpdatedAt { get; init; }

    /// <summary>Last activity (epoch seconds).</summary>
    public long? Timestamp { get; init; }

    /// <summary>The first human reply; 0 when none yet.</summary>
    public long FirstReplyCreatedAt { get; init; }

    /// <summary>Since when the customer waits for a reply; 0 when nobody waits.</summary>
    public long WaitingSince { get; init; }

    public List<string>? Labels { get; init; }

    public long? TeamId { get; init; }

    public ChatwootMeta? Meta { get; init; }
}

internal sealed record ChatwootMeta
{
    /// <summary><c>Channel::Whatsapp</c>, <c>Channel::Email</c>, ...</summary>
    public string? Channel { get; init; }

    public ChatwootPerson? Sender { get; init; }

    public ChatwootPerson? Assignee { get; init; }

    public ChatwootPerson? Team { get; init; }
}

internal sealed record ChatwootPerson
{
    public long? Id { get; init; }

    /// <summary>On message senders: <c>user</c> (an agent), <c>agent_bot</c>, <c>contact</c>.</summary>
    public string? Type { get; init; }
}

/// <summary><c>GET /api/v1/accounts/{id}/inboxes</c>.</summary>
internal sealed record InboxesResponse
{
    public required List<ChatwootInbox> Payload { get; init; }
}

internal sealed record ChatwootInbox
{
    public required long Id { get; init; }

    public string? ChannelType { get; init; }

    /// <summary>Twilio inboxes: <c>sms</c> or <c>whatsapp</c>.</summary>
    public string? Medium { get; init; }
}

/// <summary><c>GET /api/v1/accounts/{id}/conversations/{display_id}/messages?after=</c>: oldest first, 100 a page.</summary>
internal sealed record MessagesResponse
{
    public required List<ChatwootMessage> Payload { get; init; }
}

internal sealed record ChatwootMessage
{
    public required long Id { get; init; }

    /// <summary>0 incoming, 1 outgoing, 2 activity, 3 template.</summary>
    public required int MessageType { get; init; }

    public required long CreatedAt { get; init; }

    public bool Private { get; init; }

    public ChatwootPerson? Sender { get; init; }

    /// <summary>The text; for activity messages the English sentence of the change (<c>Conversation was marked resolved by Ana</c>).</summary>
    public string? Content { get; init; }

    /// <summary>
    /// A free-form object: <c>external_echo: true</c> on a reply sent from the WhatsApp Business app; on status-change
    /// activity messages of newer installs <c>activity: { type: "conversation_status_changed", status }</c>. Read leniently.
    /// </summary>
    public JsonElement ContentAttributes { get; init; }
}

/// <summary>One of <c>GET /api/v1/accounts/{id}/csat_survey_responses</c> (a bare array, 25 a page).</summary>
internal sealed record ChatwootCsat
{
    public required long Id { get; init; }

    /// <summary>1 to 5.</summary>
    public required int Rating { get; init; }

    /// <summary>The conversation's display id.</summary>
    public long? ConversationId { get; init; }

    public ChatwootPerson? AssignedAgent { get; init; }

    public required long CreatedAt { get; init; }
}
