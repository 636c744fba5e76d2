using System.Globalization;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.EDesk;

/// <summary>
/// What an eDesk ticket and its messages mean in the normalized model (docs/sources.md, "eDesk", "What maps to what").
/// The ticket gives the status, type, channel, owner and creation; everything timed after that comes from its messages:
/// the first response (an <c>AutoReply</c> or <c>AiAutoReplyHandsFree</c> is a bot's, an outgoing <c>Message</c> or
/// <c>AiQuickReply</c> from a user an agent's), the agent replies, the resolutions and reopens (<c>Status</c> messages)
/// and the CSAT answers (<c>Rating</c> messages).
/// </summary>
internal static class EDeskMapping
{
    /// <summary>The statuses eDesk documents: Priority and Unpriority are statuses, not a priority field.</summary>
    private static readonly Dictionary<string, ConversationStatus> Documented = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Unread"] = ConversationStatus.New,
        ["Read"] = ConversationStatus.Open,
        ["Open"] = ConversationStatus.Open,
        ["Priority"] = ConversationStatus.Open,
        ["Unpriority"] = ConversationStatus.Open,
        ["Pending"] = ConversationStatus.Pending,
        ["Scheduled"] = ConversationStatus.OnHold,
        ["Closed"] = ConversationStatus.Solved,
        ["Archived"] = ConversationStatus.Closed,
        ["Spam"] = ConversationStatus.Closed,
    };

    private static readonly string[] Marketplaces =
    [
        "amazon", "ebay", "walmart", "etsy", "shopify", "woocommerce", "magento", "bigcommerce", "prestashop", "cdiscount",
        "bol.com", "bol ", "backmarket", "back market", "zalando", "otto", "allegro", "mirakl", "fnac", "onbuy", "manomano",
        "kaufland", "rakuten", "newegg", "aliexpress", "wish", "tiktok shop", "marketplace",
    ];

    public static bool IsDocumented(string? status) => status is not null && Documented.ContainsKey(status);

    /// <summary>A ticket status: a configured override, else the documented map; an unknown one is open.</summary>
    public static ConversationStatus Status(string? status, IReadOnlyDictionary<string, ConversationStatus> overrides)
    {
        if (status is null)
        {
            return ConversationStatus.Open;
        }

        return overrides.TryGetValue(status, out var configured) ? configured
            : Documented.TryGetValue(status, out var documented) ? documented
            : ConversationStatus.Open;
    }

    /// <summary><c>Priority</c> is high and <c>Unpriority</c> low; other statuses say nothing about it.</summary>
    public static string? Priority(string? status) => status?.ToLowerInvariant() switch
    {
        "priority" => "high",
        "unpriority" => "low",
        _ => null,
    };

    /// <summary>
    /// A channel by its name and type in <c>/v1/channels</c>. Marketplaces (Amazon, eBay, ...) and web shops are the
    /// customer writing on a website: <c>web</c>.
    /// </summary>
    public static string ChannelFromName(string? name, string? type)
    {
        var n = $"{type} {name}".ToLowerInvariant();
        bool Has(params string[] words) => words.Any(w => n.Contains(w, StringComparison.Ordinal));
        return n switch
        {
            _ when Has("whatsapp") => Channels.WhatsApp,
            _ when Has("sms", "text message") => Channels.Sms,
            _ when Has("facebook", "instagram", "twitter", "messenger", "telegram", "social") => Channels.Social,
            _ when Has(Marketplaces) => Channels.Web,
            _ when Has("mail", "gmail", "outlook", "imap", "smtp") => Channels.Email,
            _ when Has("phone", "voice", "call", "aircall") => Channels.Phone,
            _ when Has("chat", "bot") => Channels.Chat,
            _ when Has("web", "form", "widget") => Channels.Web,
            _ when Has("api") => Channels.Api,
            _ => Channels.Other,
        };
    }

    /// <summary>The conversation and its CSAT answers, from the ticket and its messages (in any order).</summary>
    public static (Conversation Conversation, List<SurveyResponse> Surveys) Map(
        string source,
        EDeskTicket ticket,
        IReadOnlyList<EDeskMessage> messages,
        string channel,
        EDeskTime time,
        IReadOnlyDictionary<string, ConversationStatus> overrides,
        int ratingScaleMax,
        bool ratings)
    {
        var id = ticket.Id.ToString(CultureInfo.InvariantCulture);
        var what = $"ticket {id}";
        var createdAt = time.Required(ticket.CreatedAt, what, "$.created_at");
        var timed = messages
            .Select(m => (Message: m, At: time.Required(m.CreatedAt, $"message {m.Id.ToString(CultureInfo.InvariantCulture)}", "$.created_at")))
            .OrderBy(m => m.At).ThenBy(m => m.Message.Id).ToList();
        var status = Status(ticket.Status, overrides);
        var updatedAt = time.Read(ticket.LastUpdatedAt, what, "$.last_updated_at")
            ?? (timed.Count == 0 ? createdAt : timed[^1].At);

        DateTimeOffset? firstResponse = null, firstHuman = null, firstResolved = null, lastResolved = null;
        ResponderKind? kind = null;
        int replies = 0, reopens = 0;
        var ended = false;
        var surveys = new List<SurveyResponse>();
        foreach (var (m, at) in timed)
        {
            switch (Kind(m))
            {
                case ResponderKind.Bot:
                    if (firstResponse is null)
                    {
                        (firstResponse, kind) = (at, ResponderKind.Bot);
                    }

                    break;
                case ResponderKind.Human:
                    replies++;
                    firstHuman ??= at;
                    if (firstResponse is null)
                    {
                        (firstResponse, kind) = (at, ResponderKind.Human);
                    }

                    break;
            }

            if (IsType(m, "Status") && StatusSet(m.Body) is { } set)
            {
                var nowEnded = Status(set, overrides).IsEnded();
                if (nowEnded && !ended)
                {
                    firstResolved ??= at;
                    lastResolved = at;
                }
                else if (!nowEnded && ended)
                {
                    reopens++;
                }

                ended = nowEnded;
            }

            if (ratings && IsType(m, "Rating") && m.Rating is { } score)
            {
                surveys.Add(new SurveyResponse
                {
                    Source = source,
                    ExternalId = m.Id.ToString(CultureInfo.InvariantCulture),
                    ConversationId = id,
                    Kind = SurveyKind.Csat,
                    Score = Math.Clamp(score, 1, ratingScaleMax),
                    ScaleMin = 1,
                    ScaleMax = ratingScaleMax,
                    RespondedAt = at,
                    Channel = channel,
                    AgentId = Id(ticket.OwnerUserId),
                });
            }
        }

        // An ended ticket whose messages hold no Status change to an end: the last message is the best estimate.
        var resolved = status.IsEnded() ? lastResolved ?? updatedAt : (DateTimeOffset?)null;
        var conversation = new Conversation
        {
            Source = source,
            ExternalId = id,
            Channel = channel,
            Status = status,
            Priority = Priority(ticket.Status),
            TicketType = ticket.Type,
            RequesterId = Id(ticket.ContactId),
            AssigneeId = Id(ticket.OwnerUserId),
            CreatedAt = createdAt,
            FirstResponseAt = firstResponse,
            FirstResponderKind = kind,
            FirstHumanResponseAt = firstHuman,
            FirstResolvedAt = firstResolved ?? resolved,
            ResolvedAt = resolved,
            ClosedAt = status == ConversationStatus.Closed ? resolved : null,
            AgentPublicReplies = replies,
            Reopens = reopens,
            UpdatedAt = updatedAt > createdAt ? updatedAt : createdAt,
        };
        return (conversation, surveys);
    }

    /// <summary>Who a message's author is as a responder: null for the customer's, notes, status changes and ratings.</summary>
    internal static ResponderKind? Kind(EDeskMessage m)
    {
        if (!string.Equals(m.Direction, "Outgoing", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (IsType(m, "AutoReply") || IsType(m, "AiAutoReplyHandsFree"))
        {
            return ResponderKind.Bot;
        }

        if (!(IsType(m, "Message") || IsType(m, "AiQuickReply")) || m.FromUser is null)
        {
            return null;
        }

        return m.FromUser.Role?.Contains("bot", StringComparison.OrdinalIgnoreCase) == true ? ResponderKind.Bot : ResponderKind.Human;
    }

    /// <summary>The status a Status message set: the last documented status it names (e.g. "Status changed from Open to Closed").</summary>
    internal static string? StatusSet(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        string? last = null;
        foreach (var word in body.Split([' ', ',', '.', ':', ';', '"', '\'', '(', ')', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (Documented.ContainsKey(word))
            {
                last = word;
            }
        }

        return last;
    }

    private static bool IsType(EDeskMessage m, string type) => string.Equals(m.Type, type, StringComparison.OrdinalIgnoreCase);

    private static string? Id(long? id) => id?.ToString(CultureInfo.InvariantCulture);
}
