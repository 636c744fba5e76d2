using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Sources.Http;
using KpiCollector.Storage;
using RestSharp;

namespace KpiCollector.Sources.EDesk;

/// <summary>
/// An eDesk account (docs/sources.md, "eDesk"). eDesk's tickets list filters on the day of the last message only
/// (<c>filter_last_updated_at_gte</c>, a date in the account's time zone), and a ticket's timings live in its messages,
/// which are read one by one (<c>GET /v1/messages/{id}</c>). So each poll runs (or continues) a <em>pass</em>: the
/// tickets last updated since the start of the saved day, in ascending id order, page by page; a ticket whose version
/// (its last message, status, owner, type, channel and message ids) was already delivered is skipped; a changed one has
/// its new messages fetched and is delivered whole, with its Rating messages as CSAT answers.
/// </summary>
/// <remarks>
/// <para>
/// Message fetches are budgeted (<c>EDesk:MessagesPerPoll</c>). When the budget runs out the poll ends with the cursor
/// on the current page; the next poll (or the next process, from the saved cursor) resumes there, and the tickets it
/// already delivered on that page are skipped by their version. A ticket is never delivered before all its messages are
/// read. Messages never change: fetched ones are kept in memory (bounded), so a ticket with a new message costs one
/// request, not one per message (after a restart, its older messages are read again once).
/// </para>
/// <para>
/// Ascending id order keeps the pages stable while tickets change: a ticket whose new message brings it into the day
/// is inserted before the current page (read by the next pass) and only pushes later ones back (re-read, skipped). When
/// the pass reaches the end of the list, the next one starts from the day of the instant this one started (less
/// <see cref="ListLag"/>), so a change made during a pass is read by the next one, and the watermark moves to that
/// instant. Around midnight in the account's zone the pass therefore still reads the day before.
/// </para>
/// <para>
/// Cost per poll at steady state: one <c>/v1/tickets</c> request per page of tickets updated since the start of the
/// day (the day's re-read), one <c>/v1/messages/{id}</c> request per new message (at most <c>EDesk:MessagesPerPoll</c>);
/// <c>/v1/channels</c> once per process, and again when a ticket names a channel it did not list; every
/// <c>EDesk:OpenSetInterval</c>, the open set's lists (EDeskSource.OpenSet.cs).
/// </para>
/// </remarks>
public sealed partial class EDeskSource : ISourceWithStatus, IDisposable
{
    /// <summary>A margin for clock skew and whole-second timestamps between a pass's start and the next pass's day.</summary>
    public static readonly TimeSpan ListLag = TimeSpan.FromMinutes(5);

    private const int ChannelsPerPage = 100;
    private const int MessageCacheLimit = 500_000;

    private readonly SourceHttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly TimeSpan _backfill;
    private readonly EDeskSettings _settings;
    private readonly EDeskTime _zone;
    private readonly Dictionary<string, ConversationStatus> _statusOverrides;
    private readonly Dictionary<long, string> _channelOverrides;
    private readonly Dictionary<long, EDeskMessage> _messages = [];
    private readonly HashSet<string> _warned = [];
    private readonly OpenSetReconciler _openSet;
    private Dictionary<long, string>? _channels;

    public EDeskSource(SourceOptions options, int index, TimeProvider time, ILogger<EDeskSource> logger, Random? jitter = null, IOpenConversations? openSet = null)
    {
        var connection = new HttpConnection(options, EDeskPlatform.Id, HttpSettings(options, index), time, logger, jitter);
        (Name, _key, _backfill, Status, _http) = (connection.Name, connection.Key, connection.Backfill, connection.Status, connection.Http);
        _time = time;
        _logger = logger;
        _settings = options.SettingsOf<EDeskSettings>();
        _zone = new EDeskTime(TimeZoneInfo.FindSystemTimeZoneById(_settings.TimeZone.Trim()));
        _statusOverrides = new Dictionary<string, ConversationStatus>(
            _settings.Statuses.Select(kv => KeyValuePair.Create(kv.Key, (ConversationStatus)ConversationStatuses.LabelValues.ToList().IndexOf(kv.Value.Trim().ToLowerInvariant()))),
            StringComparer.OrdinalIgnoreCase);
        _channelOverrides = _settings.Channels.ToDictionary(kv => long.Parse(kv.Key, CultureInfo.InvariantCulture), kv => Channels.Normalize(kv.Value));
        _openSet = new OpenSetReconciler(Name, openSet, Durations.Parse(_settings.OpenSetInterval), time, logger);
        connection.WarnIfOverBudget(1);
    }

    /// <summary>Where, as whom and how this source's requests go: shared by the poll and <c>check sources</c>, so both ask the same way.</summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index)
    {
        var (secret, hint) = CredentialSource.Read(options, index);
        return HttpSourceSettings.From(
            options,
            index,
            EDeskPlatform.RequestsPerMinute,
            SourceCredential.Bearer(secret, $"{hint}, an eDesk API token"),
            "An eDesk admin creates the token (Settings, API tokens; Professional plan or higher); a read-only token is enough.",
            EDeskPlatform.DefaultBaseUrl);
    }

    public string Name { get; }

    public string Platform => EDeskPlatform.Id;

    public TimeSpan? BackfillSpan => _backfill;

    public double? BackfillRequestsPerMinute => _http.Account.RequestsPerMinute;

    /// <summary>Auto-replies are told from agents' replies by the message type; CSAT only when Rating messages are read.</summary>
    public SourceCapabilities Capabilities => new() { Responders = SourceCapabilities.BotAndHuman, Surveys = SourceCapabilities.CsatIf(_settings.Ratings) };

    public SourceStatus Status { get; }

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        EDeskCursor state;
        if (cursor is null)
        {
            var start = _time.GetUtcNow() - _backfill;
            state = EDeskCursor.First(start);
            Log.FirstPoll(_logger, Name, start, _key, _zone.Day(start), _zone.Zone.Id);
        }
        else
        {
            state = EDeskCursor.Parse(cursor);
        }

        state = state.PassStartedAt is null ? state with { PassStartedAt = _time.GetUtcNow().ToUnixTimeSeconds(), Page = 1 } : state;
        _channels ??= await ChannelsAsync(cancellationToken);
        var day = _zone.Day(DateTimeOffset.FromUnixTimeSeconds(state.Since));
        var budget = _settings.MessagesPerPoll;
        var reloaded = false;
        while (true)
        {
            var page = await TicketsPageAsync(day, state.Page, cancellationToken);
            if (!reloaded && page.Data.Any(t => t.ChannelId is { } c && !_channels.ContainsKey(c) && !_channelOverrides.ContainsKey(c)))
            {
                _channels = await ChannelsAsync(cancellationToken); // a channel connected since they were read
                reloaded = true;
            }

            var seen = new Dictionary<string, string>(state.Seen, StringComparer.Ordinal);
            var conversations = new List<Conversation>();
            var surveys = new List<SurveyResponse>();
            var (fetched, spent) = (0, false);
            foreach (var ticket in page.Data)
            {
                var id = ticket.Id.ToString(CultureInfo.InvariantCulture);
                var version = Version(ticket);
                if (seen.GetValueOrDefault(id) == version)
                {
                    continue;
                }

                var ids = ticket.MessagesIds ?? [];
                foreach (var messageId in ids.Where(m => !_messages.ContainsKey(m)).Distinct())
                {
                    if (fetched >= budget)
                    {
                        spent = true;
                        break;
                    }

                    await FetchMessageAsync(messageId, cancellationToken);
                    fetched++;
                }

                if (spent)
                {
                    break;
                }

                var messages = ids.Select(m => _messages.GetValueOrDefault(m)).OfType<EDeskMessage>().ToList(); // a deleted one is null
                var (conversation, ratings) = EDeskMapping.Map(Name, ticket, messages, Channel(ticket.ChannelId), _zone, _statusOverrides, _settings.RatingScaleMax, _settings.Ratings);
                if (!EDeskMapping.IsDocumented(ticket.Status) && ticket.Status is { } status && !_statusOverrides.ContainsKey(status) && _warned.Add("status:" + status))
                {
                    Log.UnknownStatus(_logger, Name, status, conversation.Status.ToLabel(), _key);
                }

                conversations.Add(conversation);
                surveys.AddRange(ratings);
                seen[id] = version;
            }

            Log.TicketsPage(_logger, Name, state.Page, day, page.Data.Count, conversations.Count, fetched);
            budget -= fetched;
            var pageIds = page.Data.Select(t => t.Id.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
            var passStart = DateTimeOffset.FromUnixTimeSeconds(state.PassStartedAt!.Value);
            var nextSince = passStart - ListLag;
            var keepFrom = _zone.DayStart(nextSince).ToUnixTimeSeconds();
            if (spent)
            {
                // Stay on this page: its delivered tickets are skipped by their version next time.
                state = state with { Seen = Prune(seen, keepFrom, pageIds) };
                yield return new SourceBatch { Conversations = conversations, Surveys = surveys, Cursor = state.Format(), Watermark = state.WatermarkAt };
                Log.BudgetSpent(_logger, Name, _settings.MessagesPerPoll, _key, state.Page);
                yield break;
            }

            if (IsFull(page, state.Page))
            {
                state = state with { Page = state.Page + 1, Seen = Prune(seen, keepFrom, []) };
                yield return new SourceBatch { Conversations = conversations, Surveys = surveys, Cursor = state.Format(), Watermark = state.WatermarkAt };
                continue;
            }

            var watermark = Math.Max(state.Watermark ?? long.MinValue, nextSince.ToUnixTimeMilliseconds());
            state = new EDeskCursor { Since = nextSince.ToUnixTimeSeconds(), Watermark = watermark, Seen = Prune(seen, keepFrom, []), OpenSetAt = state.OpenSetAt };
            yield return new SourceBatch { Conversations = conversations, Surveys = surveys, Cursor = state.Format(), Watermark = state.WatermarkAt };
            break;
        }

        // After a complete pass, so only tickets without a message since the backfill are read in full.
        if (_openSet.IsDue(state.OpenSetAt))
        {
            await foreach (var step in ReconcileOpenSetAsync(cancellationToken))
            {
                state = step.Done ? state with { OpenSetAt = step.StartedAt.ToUnixTimeMilliseconds() } : state;
                yield return new SourceBatch { Conversations = step.Conversations, Cursor = state.Format(), Watermark = state.WatermarkAt };
            }
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// What decides whether a listed ticket needs delivering again: everything of it the mapping reads. Its last
    /// message time leads, so that the cursor can forget tickets the next pass will not list.
    /// </summary>
    internal string Version(EDeskTicket t)
    {
        var updated = _zone.Read(t.LastUpdatedAt, $"ticket {t.Id.ToString(CultureInfo.InvariantCulture)}", "$.last_updated_at")
            ?? _zone.Required(t.CreatedAt, $"ticket {t.Id.ToString(CultureInfo.InvariantCulture)}", "$.created_at");
        var text = string.Join('|', t.Status, t.Type, t.ChannelId, t.OwnerUserId, t.ContactId, Raw(t.CreatedAt), string.Join(',', t.MessagesIds ?? []));
        var hash = 14695981039346656037UL; // FNV-1a, 64 bits
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{updated.ToUnixTimeSeconds()}:{hash:x16}");
    }

    /// <summary>The seen tickets the next pass lists again (last updated from its day on), and those of the page read again.</summary>
    private static Dictionary<string, string> Prune(Dictionary<string, string> seen, long keepFrom, HashSet<string> page) =>
        seen.Where(kv => page.Contains(kv.Key) || EDeskCursor.SeenUpdatedAt(kv.Value) >= keepFrom).ToDictionary(StringComparer.Ordinal);

    /// <summary>More pages follow: a full page, unless the paginator says the total is reached.</summary>
    private bool IsFull(EDeskPage<EDeskTicket> page, int number)
    {
        if (page.Paginator?.TotalItemsCount is { } total && page.Paginator.ItemsPerPage is { } per and > 0)
        {
            return (long)number * per < total && page.Data.Count > 0;
        }

        return page.Data.Count >= _settings.PageSize;
    }

    private async Task<EDeskPage<EDeskTicket>> TicketsPageAsync(string day, int page, CancellationToken cancellationToken)
    {
        var request = new RestRequest("v1/tickets");
        request.AddQueryParameter("filter_last_updated_at_gte", day);
        request.AddQueryParameter("order_by", "id");
        request.AddQueryParameter("order_direction", "asc");
        request.AddQueryParameter("page", page.ToString(CultureInfo.InvariantCulture));
        request.AddQueryParameter("itemsPerPage", _settings.PageSize.ToString(CultureInfo.InvariantCulture));
        return await ParseTicketsAsync(request, "tickets list", cancellationToken);
    }

    private async Task<EDeskPage<EDeskTicket>> ParseTicketsAsync(RestRequest request, string what, CancellationToken cancellationToken)
    {
        var parsed = SourceJson.Parse<EDeskPage<EDeskTicket>>(await _http.SendAsync(request, null, cancellationToken), what);
        foreach (var (t, i) in parsed.Data.Select((t, i) => (t, i)))
        {
            // Check the timestamps now, so a malformed page fails before any of it is delivered.
            _zone.Required(t.CreatedAt, what, $"$.data[{i}].created_at");
            _zone.Read(t.LastUpdatedAt, what, $"$.data[{i}].last_updated_at");
        }

        return parsed;
    }

    /// <summary>One message into the cache; a message deleted meanwhile (404) is left out of its ticket.</summary>
    private async Task FetchMessageAsync(long id, CancellationToken cancellationToken)
    {
        var text = id.ToString(CultureInfo.InvariantCulture);
        var response = await _http.SendOrNotFoundAsync(new RestRequest($"v1/messages/{text}"), null, cancellationToken);
        if (response is null)
        {
            return;
        }

        var message = ParseMessage(response.Content, $"message {text}");
        _zone.Required(message.CreatedAt, $"message {text}", "$.created_at");
        if (_messages.Count >= MessageCacheLimit)
        {
            _messages.Clear();
        }

        _messages[id] = message;
    }

    /// <summary>A single message, bare or in a <c>data</c> envelope (the specification does not settle which).</summary>
    internal static EDeskMessage ParseMessage(string? body, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(body ?? "");
            var root = document.RootElement;
            var element = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : root;
            return element.Deserialize<EDeskMessage>(SourceJson.Options) ?? throw new SourceException(ErrorReasons.Parse, $"{what}: the response body is JSON null");
        }
        catch (JsonException ex)
        {
            throw new SourceException(ErrorReasons.Parse, $"{what}: malformed response at {ex.Path ?? "$"}: not the documented message", ex);
        }
    }

    private async Task<Dictionary<long, string>> ChannelsAsync(CancellationToken cancellationToken)
    {
        var channels = new Dictionary<long, string>();
        for (var page = 1; ; page++)
        {
            var request = new RestRequest("v1/channels");
            request.AddQueryParameter("page", page.ToString(CultureInfo.InvariantCulture));
            request.AddQueryParameter("itemsPerPage", ChannelsPerPage.ToString(CultureInfo.InvariantCulture));
            var parsed = SourceJson.Parse<EDeskPage<EDeskChannel>>(await _http.SendAsync(request, null, cancellationToken), "channels");
            foreach (var c in parsed.Data)
            {
                channels[c.Id] = EDeskMapping.ChannelFromName(c.Name, c.Type);
            }

            var more = parsed.Paginator?.TotalItemsCount is { } total ? (long)page * ChannelsPerPage < total : parsed.Data.Count >= ChannelsPerPage;
            if (!more || parsed.Data.Count == 0)
            {
                break;
            }
        }

        var whatsApp = channels.Where(kv => Channel(kv.Key, channels) == Channels.WhatsApp).Select(kv => kv.Key).Order().ToList();
        Log.ChannelsRead(_logger, Name, channels.Count, whatsApp.Count == 0 ? "none" : string.Join(", ", whatsApp));
        return channels;
    }

    private string Channel(long? id)
    {
        if (id is not { } c)
        {
            return Channels.Other;
        }

        if (!_channelOverrides.ContainsKey(c) && !_channels!.ContainsKey(c) && _warned.Add("channel:" + c.ToString(CultureInfo.InvariantCulture)))
        {
            Log.UnknownChannel(_logger, Name, c, _key);
        }

        return Channel(c, _channels!);
    }

    private string Channel(long id, Dictionary<long, string> channels) =>
        _channelOverrides.TryGetValue(id, out var configured) ? configured : channels.GetValueOrDefault(id, Channels.Other);

    private static string Raw(JsonElement value) => value.ValueKind == JsonValueKind.Undefined ? "" : value.GetRawText();
}
