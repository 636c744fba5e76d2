using KpiCollector.Core.Records;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// Turns webhook events, in the order they were received, into conversations and message events (docs/sources.md,
/// "WhatsApp Cloud API facts" and "What is read, and how it maps" under WhatsApp). A thread opens on a customer message and lasts while customer messages keep arriving within the
/// customer service window; the first business message sent after a customer's wait answers it (its first
/// response, and a reply time); a thread whose window ends with the customer still waiting is closed unanswered,
/// which the engine counts as abandoned. Outbound messages keep their highest status (read above delivered above sent;
/// failed is final); a repeated event changes nothing.
/// </summary>
/// <remarks>
/// The state depends only on the events, so replaying the inbox at start rebuilds exactly what the last run had.
/// WhatsApp does not say who sent a business message: an outbound message counts as a human reply.
/// </remarks>
public sealed class WhatsAppThreads(string source, TimeSpan serviceWindow)
{
    private static readonly Dictionary<string, int> Rank = new() { ["sent"] = 1, ["delivered"] = 2, ["read"] = 3, ["failed"] = 4 };

    private readonly long _windowSeconds = (long)serviceWindow.TotalSeconds;
    private readonly Dictionary<string, Thread> _current = [];
    private readonly Dictionary<string, Outbound> _outbound = [];
    private readonly Dictionary<string, long> _inbound = [];
    private readonly Dictionary<string, Conversation> _changedConversations = [];
    private readonly Dictionary<string, MessageEvent> _changedMessages = [];

    public int Threads => _current.Count;

    public int OutboundMessages => _outbound.Count;

    /// <summary>Applies one delivery's events.</summary>
    public void Apply(IEnumerable<WebhookEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Kind == WebhookEvent.Message)
            {
                Inbound(e);
            }
            else
            {
                Status(e);
            }
        }
    }

    /// <summary>Closes the threads whose service window ended at or before <paramref name="watermark"/>.</summary>
    public void Expire(DateTimeOffset watermark)
    {
        var now = watermark.ToUnixTimeSeconds();
        foreach (var thread in _current.Values)
        {
            if (!thread.Closed && thread.LastInbound + _windowSeconds <= now)
            {
                thread.Closed = true;
                Changed(thread, thread.LastInbound + _windowSeconds);
            }
        }
    }

    /// <summary>The records changed since the last call (their latest versions), and forgets them.</summary>
    public (List<Conversation> Conversations, List<MessageEvent> Messages) TakeChanges()
    {
        var result = (_changedConversations.Values.ToList(), _changedMessages.Values.ToList());
        _changedConversations.Clear();
        _changedMessages.Clear();
        return result;
    }

    /// <summary>Forgets threads and messages older than <paramref name="before"/>, bounding the state to the inbox's retention.</summary>
    public void Forget(DateTimeOffset before)
    {
        var cut = before.ToUnixTimeSeconds();
        foreach (var (contact, thread) in _current.Where(kv => kv.Value.Closed && kv.Value.LastInbound < cut).ToList())
        {
            _current.Remove(contact);
        }

        foreach (var (id, _) in _outbound.Where(kv => kv.Value.At < cut).ToList())
        {
            _outbound.Remove(id);
        }

        foreach (var (id, _) in _inbound.Where(kv => kv.Value < cut).ToList())
        {
            _inbound.Remove(id);
        }
    }

    private void Inbound(WebhookEvent e)
    {
        if (!_inbound.TryAdd(e.Id, e.Timestamp))
        {
            return; // a repeated delivery
        }

        var key = ContactKey(e);
        if (!_current.TryGetValue(key, out var thread) || e.Timestamp > thread.LastInbound + _windowSeconds)
        {
            if (thread is { Closed: false })
            {
                thread.Closed = true; // its window ended before this message (no poll expired it yet)
                Changed(thread, thread.LastInbound + _windowSeconds);
            }

            thread = new Thread(e.Id, e.Contact, e.Timestamp);
            _current[key] = thread;
        }
        else if (thread.Closed)
        {
            thread.Closed = false; // a late message from within the window: the thread was not over
        }

        thread.CreatedAt = Math.Min(thread.CreatedAt, e.Timestamp);
        thread.LastInbound = Math.Max(thread.LastInbound, e.Timestamp);
        var startsWait = thread.WaitingSince is null;
        if (startsWait)
        {
            thread.WaitingSince = e.Timestamp;
        }

        _changedMessages[e.Id] = new MessageEvent
        {
            Source = source,
            ExternalId = e.Id,
            ConversationId = thread.Id,
            At = At(e.Timestamp),
            Direction = MessageDirection.Inbound,
            Author = AuthorKind.Customer,
            Channel = Channels.WhatsApp,
            StartsWait = startsWait,
        };
        Changed(thread, e.Timestamp);
    }

    private void Status(WebhookEvent e)
    {
        var rank = Rank[e.State!];
        if (!_outbound.TryGetValue(e.Id, out var message))
        {
            _current.TryGetValue(ContactKey(e), out var thread);
            message = new Outbound(thread?.Id ?? $"{e.PhoneNumberId}:{e.Contact}:business", e.Timestamp);
            _outbound[e.Id] = message;
        }
        else if ((message.Seen & (1 << rank)) != 0)
        {
            return; // this status of this message was applied before
        }

        message.Seen |= 1 << rank;
        message.Rank = Math.Max(message.Rank, rank);
        if (e.State == "failed")
        {
            message.ErrorCode ??= e.ErrorCode ?? "unknown";
        }
        else
        {
            message.At = Math.Min(message.At, e.Timestamp); // sent is the earliest; delivered or read may come first
        }

        Answer(e, message);
        _changedMessages[e.Id] = new MessageEvent
        {
            Source = source,
            ExternalId = e.Id,
            ConversationId = message.ConversationId,
            At = At(message.At),
            Direction = MessageDirection.Outbound,
            Author = AuthorKind.Human,
            Channel = Channels.WhatsApp,
            RespondsToAt = message.RespondsTo is { } asked ? At(asked) : null,
            DeliveryStatus = message.Rank switch { 1 => "sent", 2 => "delivered", 3 => "read", _ => "failed" },
            ErrorCode = message.Rank == 4 ? message.ErrorCode : null,
        };
    }

    /// <summary>A business message that reached the customer after they started waiting answers that wait.</summary>
    private void Answer(WebhookEvent e, Outbound message)
    {
        if (!_current.TryGetValue(ContactKey(e), out var thread) || thread.Id != message.ConversationId)
        {
            return;
        }

        if (message.RespondsTo is null && message.Rank < 4 && thread.WaitingSince is { } waiting && message.At >= waiting)
        {
            message.RespondsTo = waiting;
            thread.WaitingSince = null;
            thread.FirstResponse ??= (e.Id, message.At);
            Changed(thread, e.Timestamp);
        }
        else if (thread.FirstResponse is { } first && first.Id == e.Id && message.At < first.At)
        {
            thread.FirstResponse = (e.Id, message.At); // its sent status arrived after its delivered or read one
            Changed(thread, e.Timestamp);
        }
    }

    private void Changed(Thread thread, long at)
    {
        thread.UpdatedAt = Math.Max(thread.UpdatedAt, at);
        var first = thread.FirstResponse is { } f ? At(f.At) : (DateTimeOffset?)null;
        _changedConversations[thread.Id] = new Conversation
        {
            Source = source,
            ExternalId = thread.Id,
            Channel = Channels.WhatsApp,
            Status = thread.Closed ? ConversationStatus.Closed
                : thread.WaitingSince is not null ? (first is null ? ConversationStatus.New : ConversationStatus.Open)
                : ConversationStatus.Pending,
            RequesterId = thread.Contact,
            CreatedAt = At(thread.CreatedAt),
            FirstResponseAt = first,
            FirstResponderKind = first is null ? null : ResponderKind.Human,
            FirstHumanResponseAt = first,
            ClosedAt = thread.Closed ? At(thread.LastInbound + _windowSeconds) : null,
            UpdatedAt = At(Math.Max(thread.UpdatedAt, thread.Closed ? thread.LastInbound + _windowSeconds : 0)),
        };
    }

    private static string ContactKey(WebhookEvent e) => e.PhoneNumberId + ":" + e.Contact;

    private static DateTimeOffset At(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds);

    private sealed class Thread(string id, string contact, long createdAt)
    {
        public string Id { get; } = id;

        public string Contact { get; } = contact;

        public long CreatedAt { get; set; } = createdAt;

        public long LastInbound { get; set; } = createdAt;

        public long UpdatedAt { get; set; } = createdAt;

        /// <summary>When the customer's current wait began; null when the last word was the business's.</summary>
        public long? WaitingSince { get; set; }

        public (string Id, long At)? FirstResponse { get; set; }

        public bool Closed { get; set; }
    }

    private sealed class Outbound(string conversationId, long at)
    {
        public string ConversationId { get; } = conversationId;

        public long At { get; set; } = at;

        public int Rank { get; set; }

        /// <summary>Bit per status rank already applied.</summary>
        public int Seen { get; set; }

        public string? ErrorCode { get; set; }

        public long? RespondsTo { get; set; }
    }
}
