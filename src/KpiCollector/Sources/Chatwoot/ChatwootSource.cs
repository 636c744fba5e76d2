using System.Globalization;
using System.Runtime.CompilerServices;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Sources.Http;
using KpiCollector.Storage;
using RestSharp;

namespace KpiCollector.Sources.Chatwoot;

/// <summary>
/// A Chatwoot account (docs/sources.md, "Chatwoot"). The first poll backfills conversations, newest activity first, 25
/// a page; each later poll reads every conversation updated since the last one in a single request
/// (<c>updated_within</c>, unpaginated); each changed conversation's messages give the first response, bot or human,
/// the agent reply count (external echoes included), and from the status-change activity messages the resolution time
/// and the reopens; then the CSAT survey responses created since the last poll. The install's version goes to
/// <c>kpicollector_source_info</c>.
/// </summary>
/// <remarks>
/// <para>
/// Chatwoot returns <c>first_reply_created_at</c> and <c>waiting_since</c> as 0, not null, when unset
/// (docs/sources.md, "Chatwoot facts"): 0 is "unset" here. Status: <c>pending</c> (a bot still has it) is new;
/// <c>open</c> with nobody waiting after a human reply is pending (waiting on the customer); otherwise open;
/// <c>snoozed</c> is on hold; <c>resolved</c> is solved. The conversation has no resolved time: the activity message of
/// the last change to resolved gives it (see <see cref="ChatwootActivities"/> and docs/sources.md).
/// </para>
/// <para>
/// Cost per poll at steady state: 1 conversations request, 1 messages request per changed conversation (more for
/// threads over 100 messages), 1 CSAT request; once per process <c>GET /api</c> and the inboxes.
/// </para>
/// </remarks>
public sealed partial class ChatwootSource : ISourceWithStatus, IDisposable
{
    /// <summary>Conversations are read live; a small margin covers clock skew and whole-second timestamps.</summary>
    public static readonly TimeSpan ReadLag = TimeSpan.FromSeconds(10);

    private const int ConversationsPerPage = 25;
    private const int MessagesPerPage = 100;
    private const int MaxMessagePages = 10;
    private const int CsatPerPage = 25;
    private const int ChannelCacheLimit = 200_000;
    private static readonly TimeSpan UpdatedWithinOverlap = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan CsatOverlap = TimeSpan.FromHours(1);

    private readonly SourceHttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly string _account;
    private readonly TimeSpan _backfill;
    private readonly ChatwootSettings _settings;
    private readonly Dictionary<long, string> _channelByConversation = [];
    private readonly OpenSetReconciler _openSet;
    private Dictionary<long, string>? _inboxChannels;
    private bool _versionRead;

    public ChatwootSource(SourceOptions options, int index, TimeProvider time, ILogger<ChatwootSource> logger, Random? jitter = null, IOpenConversations? openSet = null)
    {
        var connection = new HttpConnection(options, ChatwootPlatform.Id, HttpSettings(options, index), time, logger, jitter);
        (Name, _key, _backfill, Status, _http) = (connection.Name, connection.Key, connection.Backfill, connection.Status, connection.Http);
        _time = time;
        _logger = logger;
        _settings = options.SettingsOf<ChatwootSettings>();
        _account = $"api/v1/accounts/{_settings.AccountId.ToString(CultureInfo.InvariantCulture)}";
        _openSet = new OpenSetReconciler(Name, openSet, Durations.Parse(_settings.OpenSetInterval), time, logger);
        connection.WarnIfOverBudget(_settings.Csat ? 2 : 1);
    }

    /// <summary>Where, as whom and how this source's requests go: shared by the poll and <c>check sources</c>, so both ask the same way.</summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index)
    {
        var (secret, hint) = CredentialSource.Read(options, index);
        return HttpSourceSettings.From(
            options,
            index,
            ChatwootPlatform.RequestsPerMinute,
            SourceCredential.Header("api_access_token", secret, $"{hint}, a Chatwoot access token for account {KpiCollectorOptions.SectionName}:Sources:{index}:Chatwoot:AccountId"),
            "The token is on the user's Profile Settings page; the user must be an administrator of the account (conversations of every inbox, CSAT reports).");
    }

    public string Name { get; }

    public string Platform => ChatwootPlatform.Id;

    public TimeSpan? BackfillSpan => _backfill;

    public double? BackfillRequestsPerMinute => _http.Account.RequestsPerMinute;

    /// <summary>Bot first responses are told apart only from the messages (<c>ReadMessages</c>); CSAT only when read.</summary>
    public SourceCapabilities Capabilities => new()
    {
        Responders = _settings.ReadMessages ? SourceCapabilities.BotAndHuman : SourceCapabilities.HumanOnly,
        Surveys = SourceCapabilities.CsatIf(_settings.Csat),
    };

    public SourceStatus Status { get; }

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ChatwootCursor state;
        if (cursor is null)
        {
            var now = _time.GetUtcNow();
            state = ChatwootCursor.First(now, now - _backfill);
            Log.FirstPoll(_logger, Name, now - _backfill, _key);
        }
        else
        {
            state = ChatwootCursor.Parse(cursor);
        }

        await ReadVersionOnceAsync(cancellationToken);
        _inboxChannels ??= await InboxesAsync(cancellationToken);

        while (state.BackfillPage is { } page)
        {
            var conversations = await ListAsync(new Dictionary<string, string> { ["status"] = "all", ["sort_by"] = "last_activity_at_desc", ["page"] = Number(page) }, cancellationToken);
            var active = conversations.Where(c => (c.Timestamp ?? (long)c.UpdatedAt) >= state.BackfillFrom).ToList();
            Log.Conversations(_logger, Name, active.Count, $"in backfill page {page}");
            var done = conversations.Count < ConversationsPerPage || active.Count < conversations.Count;
            var records = await MapAllAsync(active, cancellationToken);
            state = state with { BackfillPage = done ? null : page + 1 };
            var readBackTo = conversations.Count == 0 ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeSeconds(conversations.Min(c => c.Timestamp ?? (long)c.UpdatedAt));
            yield return new SourceBatch { Conversations = records, Cursor = state.Format(), Watermark = state.WatermarkAt, ReadBackTo = readBackTo };
        }

        var requestedAt = _time.GetUtcNow();
        var window = (long)Math.Ceiling((requestedAt - DateTimeOffset.FromUnixTimeSeconds(state.Since) + UpdatedWithinOverlap).TotalSeconds);
        var updated = await ListAsync(new Dictionary<string, string> { ["status"] = "all", ["updated_within"] = Number(window) }, cancellationToken);
        Log.Conversations(_logger, Name, updated.Count, $"updated in the last {window} s");
        var changed = await MapAllAsync(updated, cancellationToken);
        var watermark = (requestedAt - ReadLag).ToUnixTimeMilliseconds();
        state = state with { Since = requestedAt.ToUnixTimeSeconds(), Watermark = Math.Max(state.Watermark ?? long.MinValue, watermark) };
        yield return new SourceBatch { Conversations = changed, Cursor = state.Format(), Watermark = state.WatermarkAt };

        // After the backfill and the incremental read, so only conversations older than the backfill are read in full.
        if (_openSet.IsDue(state.OpenSetAt))
        {
            await foreach (var step in ReconcileOpenSetAsync(cancellationToken))
            {
                state = step.Done ? state with { OpenSetAt = step.StartedAt.ToUnixTimeMilliseconds() } : state;
                yield return new SourceBatch { Conversations = step.Conversations, Cursor = state.Format(), Watermark = state.WatermarkAt };
            }
        }

        if (!_settings.Csat)
        {
            yield break;
        }

        var newest = state.RatingsSince;
        var since = Math.Max(0, state.RatingsSince - (long)CsatOverlap.TotalSeconds);
        var until = _time.GetUtcNow().ToUnixTimeSeconds() + 1;
        for (var page = 1; ; page++)
        {
            // Chatwoot applies the date range only when both ends are given (without until, since is ignored and every
            // response ever given is listed): until is exclusive, so one second past the request.
            var request = new RestRequest($"{_account}/csat_survey_responses");
            request.AddQueryParameter("since", Number(since));
            request.AddQueryParameter("until", Number(until));
            request.AddQueryParameter("page", Number(page));
            var responses = SourceJson.Parse<List<ChatwootCsat>>(await _http.SendAsync(request, null, cancellationToken), "CSAT survey responses");
            var surveys = await SurveysAsync(responses, cancellationToken);
            newest = responses.Select(r => r.CreatedAt).Append(newest).Max();
            var more = responses.Count >= CsatPerPage;
            if (!more)
            {
                state = state with { RatingsSince = newest };
            }

            yield return new SourceBatch { Surveys = surveys, Cursor = state.Format(), Watermark = state.WatermarkAt };
            if (!more)
            {
                break;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task ReadVersionOnceAsync(CancellationToken cancellationToken)
    {
        if (_versionRead)
        {
            return;
        }

        _versionRead = true;
        try
        {
            var version = SourceJson.Parse<ChatwootVersion>(await _http.SendAsync(new RestRequest("api"), null, cancellationToken), "version").Version;
            if (!string.IsNullOrWhiteSpace(version))
            {
                Status.RecordPlatformVersion(version.Trim());
                Log.Version(_logger, Name, version.Trim());
            }
        }
        catch (SourceException ex) when (ex.Reason != ErrorReasons.Auth)
        {
            Log.NoVersion(_logger, Name, ex.Message); // the version is a label, not data: polling goes on
        }
    }

    private async Task<Dictionary<long, string>> InboxesAsync(CancellationToken cancellationToken)
    {
        var inboxes = SourceJson.Parse<InboxesResponse>(await _http.SendAsync(new RestRequest($"{_account}/inboxes"), null, cancellationToken), "inboxes").Payload;
        var channels = inboxes.ToDictionary(i => i.Id, i => ChatwootChannels.Normalize(i.ChannelType, i.Medium));
        var whatsApp = channels.Where(kv => kv.Value == Channels.WhatsApp).Select(kv => Number(kv.Key)).ToList();
        Log.Inboxes(_logger, Name, channels.Count, whatsApp.Count == 0 ? "none" : string.Join(", ", whatsApp));
        return channels;
    }

    private async Task<List<ChatwootConversation>> ListAsync(Dictionary<string, string> query, CancellationToken cancellationToken)
    {
        var request = new RestRequest($"{_account}/conversations");
        foreach (var (name, value) in query)
        {
            request.AddQueryParameter(name, value);
        }

        return SourceJson.Parse<ConversationsResponse>(await _http.SendAsync(request, null, cancellationToken), "conversations").Data.Payload;
    }

    private async Task<List<Conversation>> MapAllAsync(List<ChatwootConversation> conversations, CancellationToken cancellationToken)
    {
        if (conversations.Any(c => c.InboxId is { } inbox && !_inboxChannels!.ContainsKey(inbox)))
        {
            _inboxChannels = await InboxesAsync(cancellationToken); // an inbox created since they were read
        }

        var records = new List<Conversation>(conversations.Count);
        foreach (var c in conversations)
        {
            records.Add(await MapAsync(c, cancellationToken));
        }

        return records;
    }

    private async Task<Conversation> MapAsync(ChatwootConversation c, CancellationToken cancellationToken)
    {
        var record = Basic(c);
        if (!_settings.ReadMessages)
        {
            return record;
        }

        var (messages, complete) = await MessagesAsync(c.Id, cancellationToken);
        var replies = messages.Where(m => m.MessageType == 1 && !m.Private).ToList();
        var firstHuman = record.FirstHumanResponseAt ?? At(replies.FirstOrDefault(IsHuman)?.CreatedAt);
        var firstBot = At(replies.FirstOrDefault(IsBot)?.CreatedAt);
        var botFirst = firstBot is { } bot && (firstHuman is null || bot < firstHuman);
        var history = StatusHistory(messages);
        DateTimeOffset? resolved = null, firstResolved = null;
        int? reopens = complete && (record.Status != ConversationStatus.Solved || history.LastResolve is not null) ? history.Reopens : null;
        if (record.Status == ConversationStatus.Solved)
        {
            // The change to resolved, never a later label or assignment; without a recognized one (an install in
            // another language, or more than 1,000 messages) the last activity stands for it, else the update time.
            resolved = At(history.LastResolve) ?? At(messages.LastOrDefault(m => m.MessageType == 2)?.CreatedAt) ?? record.ResolvedAt;
            firstResolved = At(history.FirstResolve) ?? resolved;
        }

        return record with
        {
            FirstResponseAt = botFirst ? firstBot : firstHuman,
            FirstResponderKind = botFirst ? ResponderKind.Bot : firstHuman is null ? null : ResponderKind.Human,
            FirstHumanResponseAt = firstHuman,
            AgentPublicReplies = complete ? replies.Count(IsHuman) : null,
            Reopens = reopens,
            ResolvedAt = resolved,
            FirstResolvedAt = firstResolved,
        };
    }

    /// <summary>
    /// The conversation's status changes, from its activity messages (oldest first): the first and the last change to
    /// resolved, and the reopens (a change away from resolved, to open, pending or snoozed, after one).
    /// </summary>
    private static (long? FirstResolve, long? LastResolve, int Reopens) StatusHistory(List<ChatwootMessage> messages)
    {
        long? first = null, last = null;
        var reopens = 0;
        var isResolved = false;
        foreach (var m in messages.Where(m => m.MessageType == 2))
        {
            switch (ChatwootActivities.StatusChange(m.Content, m.ContentAttributes))
            {
                case ChatwootActivities.Resolved:
                    first ??= m.CreatedAt;
                    last = m.CreatedAt;
                    isResolved = true;
                    break;
                case { } when isResolved:
                    reopens++;
                    isResolved = false;
                    break;
            }
        }

        return (first, last, reopens);
    }

    /// <summary>What the conversation object alone says.</summary>
    private Conversation Basic(ChatwootConversation c)
    {
        var human = At(c.FirstReplyCreatedAt);
        var status = c.Status.Trim().ToLowerInvariant() switch
        {
            "pending" => ConversationStatus.New,
            "snoozed" => ConversationStatus.OnHold,
            "resolved" => ConversationStatus.Solved,
            "open" when c.WaitingSince == 0 && human is not null => ConversationStatus.Pending,
            _ => ConversationStatus.Open,
        };
        var updated = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(c.UpdatedAt * 1000));
        var channel = c.InboxId is { } inbox && _inboxChannels!.TryGetValue(inbox, out var byInbox) ? byInbox : ChatwootChannels.Normalize(c.Meta?.Channel);
        Remember(c.Id, channel);
        return new Conversation
        {
            Source = Name,
            ExternalId = Number(c.Id),
            Channel = channel,
            Status = status,
            Priority = c.Priority,
            TicketType = c.Labels?.Order(StringComparer.Ordinal).FirstOrDefault(),
            Team = Id(c.TeamId ?? c.Meta?.Team?.Id),
            RequesterId = Id(c.Meta?.Sender?.Id),
            AssigneeId = Id(c.Meta?.Assignee?.Id),
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(c.CreatedAt),
            FirstResponseAt = human,
            FirstResponderKind = human is null ? null : ResponderKind.Human,
            FirstHumanResponseAt = human,
            ResolvedAt = status == ConversationStatus.Solved ? updated : null,
            FirstResolvedAt = status == ConversationStatus.Solved ? updated : null,
            UpdatedAt = updated,
        };
    }

    /// <summary>The messages from the first on (<c>after=</c>, oldest first), up to 1,000; whether that was all of them.</summary>
    private async Task<(List<ChatwootMessage> Messages, bool Complete)> MessagesAsync(long conversation, CancellationToken cancellationToken)
    {
        var messages = new List<ChatwootMessage>();
        long after = 0;
        for (var page = 0; page < MaxMessagePages; page++)
        {
            var request = new RestRequest($"{_account}/conversations/{Number(conversation)}/messages");
            request.AddQueryParameter("after", Number(after));
            var response = await _http.SendOrNotFoundAsync(request, null, cancellationToken);
            if (response is null)
            {
                return (messages, false); // deleted meanwhile
            }

            var batch = SourceJson.Parse<MessagesResponse>(response, "messages").Payload;
            messages.AddRange(batch);
            if (batch.Count < MessagesPerPage)
            {
                return (messages.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).ToList(), true);
            }

            after = batch.Max(m => m.Id);
        }

        return (messages.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).ToList(), false);
    }

    /// <summary>CSAT answers on 1..5, with the conversation's channel (one request for a conversation this process has not seen).</summary>
    private async Task<List<SurveyResponse>> SurveysAsync(List<ChatwootCsat> responses, CancellationToken cancellationToken)
    {
        var surveys = new List<SurveyResponse>(responses.Count);
        foreach (var r in responses)
        {
            var channel = Channels.Other;
            if (r.ConversationId is { } id)
            {
                if (!_channelByConversation.TryGetValue(id, out var known))
                {
                    var response = await _http.SendOrNotFoundAsync(new RestRequest($"{_account}/conversations/{Number(id)}"), null, cancellationToken);
                    known = response is null ? Channels.Other : Basic(SourceJson.Parse<ChatwootConversation>(response, "conversation")).Channel;
                    Remember(id, known);
                }

                channel = known;
            }

            surveys.Add(new SurveyResponse
            {
                Source = Name,
                ExternalId = Number(r.Id),
                ConversationId = Id(r.ConversationId),
                Kind = SurveyKind.Csat,
                Score = r.Rating,
                ScaleMin = 1,
                ScaleMax = 5,
                RespondedAt = DateTimeOffset.FromUnixTimeSeconds(r.CreatedAt),
                Channel = channel,
                AgentId = Id(r.AssignedAgent?.Id),
            });
        }

        return surveys;
    }

    private void Remember(long conversation, string channel)
    {
        if (_channelByConversation.Count >= ChannelCacheLimit)
        {
            _channelByConversation.Clear();
        }

        _channelByConversation[conversation] = channel;
    }

    /// <summary>
    /// An agent's reply: sent by a user, or an external echo (sent from the WhatsApp Business app, no sender), which
    /// Chatwoot counts as a human response too.
    /// </summary>
    private static bool IsHuman(ChatwootMessage m) =>
        string.Equals(m.Sender?.Type, "user", StringComparison.OrdinalIgnoreCase) || ChatwootActivities.IsExternalEcho(m.ContentAttributes);

    private static bool IsBot(ChatwootMessage m) => string.Equals(m.Sender?.Type, "agent_bot", StringComparison.OrdinalIgnoreCase);

    /// <summary>Epoch seconds, 0 meaning unset (Chatwoot's <c>to_i</c> of nil).</summary>
    private static DateTimeOffset? At(long? epoch) => epoch is { } s and > 0 ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string? Id(long? id) => id is { } v ? Number(v) : null;
}
