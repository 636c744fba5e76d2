using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Sources.Http;
using KpiCollector.Storage;
using RestSharp;

namespace KpiCollector.Sources.Freshdesk;

/// <summary>
/// A Freshdesk account (docs/sources.md, "Freshdesk"). At the first poll it reads the account's status and source codes
/// from <c>/api/v2/ticket_fields</c>; each poll then reads the tickets list with <c>include=stats</c> in ascending
/// <c>updated_at</c> order from the saved <c>updated_since</c>, one batch per page, then the satisfaction ratings
/// created since the last poll.
/// </summary>
/// <remarks>
/// <para>
/// The 300-page wall: the tickets list refuses pages past 300. After every full page, <c>updated_since</c> slides
/// forward to the page's last <c>updated_at</c> and paging starts again at page 1, so a backfill never nears the wall,
/// and a ticket that moves to the end of the list while pages are read (it was updated) is met again rather than
/// skipped. Only a block of tickets updated in the same second that fills a page advances the page number; past
/// 300 such pages the poll fails. The query asks from one second before the saved instant, so the result holds
/// the saved second whether Freshdesk compares inclusively or not; re-read tickets change nothing in the store.
/// </para>
/// <para>
/// Cost per poll at steady state: one tickets-list request (paced by its own, much lower, budget; <c>include=stats</c>
/// costs extra credits, which <c>X-RateLimit-Used-CurrentRequest</c> reports and the budgets count) and one ratings
/// request, plus one per further page, plus one ticket request per rating of a ticket this process has not seen.
/// </para>
/// </remarks>
public sealed partial class FreshdeskSource : ISourceWithStatus, IDisposable
{
    /// <summary>The list reads the live database; a small margin covers clock skew and second-precision timestamps.</summary>
    public static readonly TimeSpan ListLag = TimeSpan.FromSeconds(10);

    /// <summary>Freshdesk refuses tickets-list pages beyond this one.</summary>
    public const int MaxPage = 300;

    private const int RatingsPerPage = 100;
    private const int ChannelCacheLimit = 200_000;
    private static readonly TimeSpan RatingsOverlap = TimeSpan.FromHours(1);

    private readonly SourceHttpClient _http;
    private readonly RequestBudget _tickets;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly TimeSpan _backfill;
    private readonly FreshdeskSettings _settings;
    private readonly Dictionary<int, ConversationStatus> _statusOverrides;
    private readonly Dictionary<int, string> _channelOverrides;
    private readonly Dictionary<long, string> _channelByTicket = [];
    private readonly HashSet<(string, int)> _warned = [];
    private readonly OpenSetReconciler _openSet;
    private FreshdeskFields? _fields;

    public FreshdeskSource(SourceOptions options, int index, TimeProvider time, ILogger<FreshdeskSource> logger, Random? jitter = null, IOpenConversations? openSet = null)
    {
        var connection = new HttpConnection(options, FreshdeskPlatform.Id, HttpSettings(options, index), time, logger, jitter);
        (Name, _key, _backfill, Status, _http) = (connection.Name, connection.Key, connection.Backfill, connection.Status, connection.Http);
        _time = time;
        _logger = logger;
        _settings = options.SettingsOf<FreshdeskSettings>();
        _statusOverrides = _settings.Statuses.ToDictionary(
            kv => int.Parse(kv.Key, CultureInfo.InvariantCulture),
            kv => (ConversationStatus)ConversationStatuses.LabelValues.ToList().IndexOf(kv.Value.Trim().ToLowerInvariant()));
        _channelOverrides = _settings.SourceChannels.ToDictionary(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture), kv => Channels.Normalize(kv.Value));
        _tickets = connection.Budget("tickets list", _settings.TicketsRequestsPerMinute, "Freshdesk:TicketsRequestsPerMinute");
        _openSet = new OpenSetReconciler(Name, openSet, Durations.Parse(_settings.OpenSetInterval), time, logger);

        connection.WarnIfOverBudget(1, _tickets);
        connection.WarnIfOverBudget(_settings.Csat ? 2 : 1);
    }

    /// <summary>Where, as whom and how this source's requests go: shared by the poll and <c>check sources</c>, so both ask the same way.</summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index)
    {
        var (secret, hint) = CredentialSource.Read(options, index);
        return HttpSourceSettings.From(
            options,
            index,
            FreshdeskPlatform.RequestsPerMinute,
            SourceCredential.Basic(secret, "X", $"{hint}, a Freshdesk API key"),
            "The API key is on the agent's Profile Settings page; the agent must be able to see every ticket (and the surveys for CSAT).");
    }

    public string Name { get; }

    public string Platform => FreshdeskPlatform.Id;

    public TimeSpan? BackfillSpan => _backfill;

    /// <summary>A backfill reads the tickets list, the tightest budget it counts against.</summary>
    public double? BackfillRequestsPerMinute => Math.Min(_http.Account.RequestsPerMinute, _tickets.RequestsPerMinute);

    /// <summary><c>first_responded_at</c> is an agent's reply: Freshdesk does not say whether a bot answered first.</summary>
    public SourceCapabilities Capabilities => new() { Responders = SourceCapabilities.HumanOnly, Surveys = SourceCapabilities.CsatIf(_settings.Csat) };

    public SourceStatus Status { get; }

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        FreshdeskCursor state;
        if (cursor is null)
        {
            state = FreshdeskCursor.First(_time.GetUtcNow() - _backfill);
            Log.FirstPoll(_logger, Name, DateTimeOffset.FromUnixTimeSeconds(state.Since), _key);
        }
        else
        {
            state = FreshdeskCursor.Parse(cursor);
        }

        _fields ??= await ReadFieldsAsync(cancellationToken);
        var reloaded = false;
        while (true)
        {
            var requestedAt = _time.GetUtcNow();
            var tickets = await TicketsPageAsync(state, cancellationToken);
            Log.TicketsPage(_logger, Name, state.Page, DateTimeOffset.FromUnixTimeSeconds(state.Since), tickets.Count);
            if (!reloaded && tickets.Any(t => !_fields.Knows(t.Status) || t.Source is { } s && !_fields.KnowsSource(s)))
            {
                _fields = await ReadFieldsAsync(cancellationToken); // a status or source added since the fields were read
                reloaded = true;
            }

            var conversations = tickets.Select(Map).ToList();
            state = Next(state, tickets, requestedAt);
            var readUpTo = tickets.Count == 0 ? (DateTimeOffset?)null : tickets.Max(t => t.UpdatedAt);
            yield return new SourceBatch { Conversations = conversations, Cursor = state.Format(), Watermark = state.WatermarkAt, ReadUpTo = readUpTo };
            if (tickets.Count < _settings.PerPage)
            {
                break;
            }
        }

        // After the list: the backfill has already stored the recent tickets in full, so only the older ones are read.
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

        var since = DateTimeOffset.FromUnixTimeSeconds(state.RatingsSince) - RatingsOverlap;
        var newest = state.RatingsSince;
        for (var page = 1; ; page++)
        {
            var ratings = await RatingsPageAsync(since, page, cancellationToken);
            var surveys = await SurveysAsync(ratings, cancellationToken);
            newest = ratings.Select(r => r.CreatedAt.ToUnixTimeSeconds()).Append(newest).Max();
            var more = ratings.Count >= RatingsPerPage;
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

    /// <summary>Where the next request starts: the end of the list, a slide of <c>updated_since</c>, or the next page of a same-second block.</summary>
    private FreshdeskCursor Next(FreshdeskCursor state, List<FreshdeskTicket> tickets, DateTimeOffset requestedAt)
    {
        var last = tickets.Count == 0 ? state.Since : Math.Max(state.Since, tickets.Max(t => t.UpdatedAt.ToUnixTimeSeconds()));
        if (tickets.Count < _settings.PerPage)
        {
            var watermark = requestedAt - ListLag;
            return state with
            {
                Since = last,
                Page = 1,
                Watermark = Math.Max(state.Watermark ?? long.MinValue, watermark.ToUnixTimeMilliseconds()),
            };
        }

        if (last > state.Since)
        {
            return state with { Since = last, Page = 1 };
        }

        if (state.Page >= MaxPage)
        {
            throw new SourceException(ErrorReasons.Other, $"more than {MaxPage} pages of tickets were updated in the second {DateTimeOffset.FromUnixTimeSeconds(state.Since):u}; Freshdesk's tickets list cannot page past {MaxPage}");
        }

        return state with { Page = state.Page + 1 };
    }

    private async Task<List<FreshdeskTicket>> TicketsPageAsync(FreshdeskCursor state, CancellationToken cancellationToken)
    {
        var request = new RestRequest("api/v2/tickets");
        request.AddQueryParameter("updated_since", Iso(DateTimeOffset.FromUnixTimeSeconds(state.Since - 1)));
        request.AddQueryParameter("order_by", "updated_at");
        request.AddQueryParameter("order_type", "asc");
        request.AddQueryParameter("include", "stats");
        request.AddQueryParameter("per_page", _settings.PerPage.ToString(CultureInfo.InvariantCulture));
        request.AddQueryParameter("page", state.Page.ToString(CultureInfo.InvariantCulture));
        var response = await _http.SendAsync(request, _tickets, cancellationToken);
        return SourceJson.Parse<List<FreshdeskTicket>>(response, "tickets list");
    }

    private async Task<FreshdeskFields> ReadFieldsAsync(CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(new RestRequest("api/v2/ticket_fields"), null, cancellationToken);
        var (statuses, sources) = FreshdeskFields.Read(SourceJson.Parse<List<FreshdeskField>>(response, "ticket fields"));
        var fields = new FreshdeskFields(statuses, sources, _statusOverrides, _channelOverrides);
        var whatsApp = sources.Keys.Where(c => fields.Channel(c) == Channels.WhatsApp).Order().Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();
        Log.FieldsRead(_logger, Name, statuses.Count, sources.Count, whatsApp.Count == 0 ? "none" : string.Join(", ", whatsApp));
        return fields;
    }

    private Conversation Map(FreshdeskTicket t)
    {
        var fields = _fields!;
        if (!fields.Knows(t.Status) && _warned.Add(("status", t.Status)))
        {
            Log.UnknownStatus(_logger, Name, t.Status, fields.Status(t.Status).ToLabel(), _key);
        }

        if (t.Source is { } code && !fields.KnowsSource(code) && _warned.Add(("source", code)))
        {
            Log.UnknownSource(_logger, Name, code, _key);
        }

        var status = fields.Status(t.Status);
        var stats = t.Stats;
        var resolved = stats?.ResolvedAt ?? (status.IsEnded() ? stats?.ClosedAt : null);
        var conversation = new Conversation
        {
            Source = Name,
            ExternalId = t.Id.ToString(CultureInfo.InvariantCulture),
            Channel = fields.Channel(t.Source),
            Status = status,
            Priority = t.Priority switch { 1 => "low", 2 => "medium", 3 => "high", 4 => "urgent", _ => null },
            TicketType = t.Type,
            Team = Id(t.GroupId),
            RequesterId = Id(t.RequesterId),
            AssigneeId = Id(t.ResponderId),
            CreatedAt = t.CreatedAt,
            FirstResponseAt = stats?.FirstRespondedAt,
            FirstResponderKind = stats?.FirstRespondedAt is null ? null : ResponderKind.Human,
            FirstHumanResponseAt = stats?.FirstRespondedAt,
            FirstResolvedAt = resolved, // the API keeps the latest resolution only
            ResolvedAt = resolved,
            ClosedAt = stats?.ClosedAt,
            Reopens = stats is null ? null : stats.ReopenedAt is null ? 0 : 1, // reopened_at tells whether, not how often
            UpdatedAt = t.UpdatedAt,
        };
        Remember(t.Id, conversation.Channel);
        return conversation;
    }

    private async Task<List<FreshdeskRating>> RatingsPageAsync(DateTimeOffset since, int page, CancellationToken cancellationToken)
    {
        var request = new RestRequest("api/v2/surveys/satisfaction_ratings");
        request.AddQueryParameter("created_since", Iso(since));
        request.AddQueryParameter("per_page", RatingsPerPage.ToString(CultureInfo.InvariantCulture));
        request.AddQueryParameter("page", page.ToString(CultureInfo.InvariantCulture));
        var response = await _http.SendAsync(request, null, cancellationToken);
        return SourceJson.Parse<List<FreshdeskRating>>(response, "satisfaction ratings");
    }

    /// <summary>CSAT answers on Freshdesk's −103..103 scale (the default question); a rating without one is skipped.</summary>
    private async Task<List<SurveyResponse>> SurveysAsync(List<FreshdeskRating> ratings, CancellationToken cancellationToken)
    {
        var surveys = new List<SurveyResponse>(ratings.Count);
        for (var i = 0; i < ratings.Count; i++)
        {
            var r = ratings[i];
            if (r.Ratings?.GetValueOrDefault("default_question") is not { ValueKind: JsonValueKind.Number } score)
            {
                continue;
            }

            var channel = r.TicketId is { } ticket ? await ChannelOfAsync(ticket, cancellationToken) : Channels.Other;
            surveys.Add(new SurveyResponse
            {
                Source = Name,
                ExternalId = r.Id.ToString(CultureInfo.InvariantCulture),
                ConversationId = Id(r.TicketId),
                Kind = SurveyKind.Csat,
                Score = score.GetDouble(),
                ScaleMin = -103,
                ScaleMax = 103,
                RespondedAt = r.UpdatedAt ?? r.CreatedAt,
                Channel = channel,
                AgentId = Id(r.AgentId),
                Team = Id(r.GroupId),
            });
        }

        return surveys;
    }

    /// <summary>The channel of a rated ticket: from the list if this process saw it, else one <c>GET /api/v2/tickets/{id}</c> (other if deleted).</summary>
    private async Task<string> ChannelOfAsync(long ticket, CancellationToken cancellationToken)
    {
        if (_channelByTicket.TryGetValue(ticket, out var known))
        {
            return known;
        }

        var response = await _http.SendOrNotFoundAsync(new RestRequest($"api/v2/tickets/{ticket.ToString(CultureInfo.InvariantCulture)}"), null, cancellationToken);
        if (response is null)
        {
            Remember(ticket, Channels.Other); // deleted since it was rated: its channel is gone with it
            return Channels.Other;
        }

        return Map(SourceJson.Parse<FreshdeskTicket>(response, "ticket")).Channel;
    }

    private void Remember(long ticket, string channel)
    {
        if (_channelByTicket.Count >= ChannelCacheLimit)
        {
            _channelByTicket.Clear();
        }

        _channelByTicket[ticket] = channel;
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string? Id(long? id) => id?.ToString(CultureInfo.InvariantCulture);
}
