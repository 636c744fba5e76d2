using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Sources.Http;
using KpiCollector.Storage;
using RestSharp;

namespace KpiCollector.Sources.Zendesk;

/// <summary>
/// A Zendesk Support account (docs/sources.md, "Zendesk Support"). Each poll reads the cursor-based incremental ticket export
/// with the <c>metric_sets</c> sideload from the saved <c>after_cursor</c> until <c>end_of_stream</c>, one batch per
/// page, then the CSAT answers received since the last poll: the legacy satisfaction ratings or the newer survey
/// responses, whichever the account runs (<c>Zendesk:Csat</c>; <c>auto</c> asks the account once per process).
/// </summary>
/// <remarks>
/// <para>
/// Cost per poll at steady state: one export request (10 a minute allowed, paced by its own budget) and one ratings
/// (or survey responses) request, plus one per further page, plus at most one <c>show_many</c> per ratings page for
/// tickets this process has not seen yet; with <c>auto</c>, one more request on the first poll of the process. The
/// export always answers, even with no change, so a poll is never free.
/// </para>
/// <para>
/// Watermark: the export leaves out the last minute, so after a page with <c>end_of_stream</c> the data is complete up
/// to one minute before that request was sent; pages before the end keep the previous watermark.
/// </para>
/// </remarks>
public sealed partial class ZendeskSource : ISourceWithStatus, IDisposable
{
    /// <summary>Zendesk leaves items changed in the last minute out of every export response.</summary>
    public static readonly TimeSpan ExportLag = TimeSpan.FromMinutes(1);

    private const int ShowManyLimit = 100;
    private const int TicketCacheLimit = 200_000;
    private const int SurveyPageSize = 100;
    private const string SurveyResponsesPath = "api/v2/guide/survey_responses";

    /// <summary>What a survey responses probe may answer for an account without them: not part of the plan, or not allowed.</summary>
    private static readonly IReadOnlySet<HttpStatusCode> NoSurveyResponses = new HashSet<HttpStatusCode> { HttpStatusCode.Forbidden, HttpStatusCode.NotFound };

    private readonly SourceHttpClient _http;
    private readonly RequestBudget _export;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly TimeSpan _backfill;
    private readonly ZendeskSettings _zendesk;
    private readonly TimeSpan _csatOverlap;
    private readonly OpenSetReconciler _openSet;
    private readonly Dictionary<long, TicketFacts> _tickets = [];

    /// <summary>Legacy ratings read by this process, by id, with the score read: an export showing the same score again needs no request.</summary>
    private readonly Dictionary<long, string> _ratingsRead = [];
    private readonly HashSet<string> _unknownStatuses = new(StringComparer.Ordinal);
    private Dictionary<long, ConversationStatus>? _customStatuses;

    /// <summary><see cref="ZendeskSettings.CsatLegacy"/>, <see cref="ZendeskSettings.CsatSurveyResponses"/> or <see cref="ZendeskSettings.CsatOff"/>; null until <c>auto</c> has decided.</summary>
    private string? _csat;

    public ZendeskSource(SourceOptions options, int index, TimeProvider time, ILogger<ZendeskSource> logger, Random? jitter = null, IOpenConversations? openSet = null)
    {
        var connection = new HttpConnection(options, ZendeskPlatform.Id, HttpSettings(options, index), time, logger, jitter);
        (Name, _key, _backfill, Status, _http) = (connection.Name, connection.Key, connection.Backfill, connection.Status, connection.Http);
        _time = time;
        _logger = logger;
        _zendesk = options.SettingsOf<ZendeskSettings>();
        _csatOverlap = Durations.Parse(_zendesk.CsatOverlap);
        _csat = _zendesk.Csat?.Trim().ToLowerInvariant() switch
        {
            ZendeskSettings.CsatLegacy => ZendeskSettings.CsatLegacy,
            ZendeskSettings.CsatSurveyResponses => ZendeskSettings.CsatSurveyResponses,
            ZendeskSettings.CsatOff or ZendeskSettings.CsatNone => ZendeskSettings.CsatOff,
            _ => null,
        };
        _export = connection.Budget("incremental export", _zendesk.ExportRequestsPerMinute, "Zendesk:ExportRequestsPerMinute");
        _openSet = new OpenSetReconciler(Name, openSet, Durations.Parse(_zendesk.OpenSetInterval), time, logger);

        connection.WarnIfOverBudget(1, _export);
        connection.WarnIfOverBudget(RequestsPerPoll);
    }

    public string Name { get; }

    public string Platform => ZendeskPlatform.Id;

    public TimeSpan? BackfillSpan => _backfill;

    /// <summary>A backfill reads the incremental export, the tightest budget it counts against.</summary>
    public double? BackfillRequestsPerMinute => Math.Min(_http.Account.RequestsPerMinute, _export.RequestsPerMinute);

    /// <summary>Where, as whom and how this source's requests go: shared by the poll and <c>check sources</c>, so both ask the same way.</summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index)
    {
        var key = $"{KpiCollectorOptions.SectionName}:Sources:{index}";
        var (secret, hint) = CredentialSource.Read(options, index);
        var oauth = string.Equals(options.AuthMode?.Trim(), ZendeskAuth.OAuth, StringComparison.OrdinalIgnoreCase);
        return HttpSourceSettings.From(
            options,
            index,
            ZendeskPlatform.RequestsPerMinute,
            oauth
                ? SourceCredential.Bearer(secret, $"{hint}, sent as an OAuth bearer token ({key}:AuthMode {ZendeskAuth.OAuth})")
                : SourceCredential.Basic($"{options.Email}/token", secret, $"{hint}, an API token sent with {key}:Email"),
            "Incremental exports, satisfaction ratings and survey responses are admin-only: the token must act for a Zendesk administrator"
                + (oauth ? " and carry the read scope." : $" ({key}:Email)."));
    }

    /// <summary>Zendesk's metrics count only public agent replies: bot replies are not visible. CSAT unless switched off.</summary>
    public SourceCapabilities Capabilities => new()
    {
        Responders = SourceCapabilities.HumanOnly,
        Surveys = SourceCapabilities.CsatIf(_csat != ZendeskSettings.CsatOff),
    };

    public SourceStatus Status { get; }

    /// <summary>The fewest requests a poll makes: one export page, and one ratings (or survey responses) page when CSAT is read.</summary>
    public int RequestsPerPoll => _csat == ZendeskSettings.CsatOff ? 1 : 2;

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ZendeskCursor state;
        if (cursor is null)
        {
            state = ZendeskCursor.First(_time.GetUtcNow() - _backfill);
            Log.FirstPoll(_logger, Name, DateTimeOffset.FromUnixTimeSeconds(state.StartTime), _key);
        }
        else
        {
            state = ZendeskCursor.Parse(cursor);
        }

        while (true)
        {
            var requestedAt = _time.GetUtcNow();
            var page = await ExportPageAsync(state, cancellationToken);
            var conversations = await ConversationsAsync(page, cancellationToken);
            Log.ExportPage(_logger, Name, page.Tickets.Count, page.EndOfStream);
            var watermark = page.EndOfStream ? requestedAt - ExportLag : state.WatermarkAt;
            if (watermark < state.WatermarkAt)
            {
                watermark = state.WatermarkAt; // never backwards, even if the clock is
            }

            state = state with
            {
                After = page.AfterCursor ?? state.After,
                Watermark = watermark?.ToUnixTimeMilliseconds(),
                RatingsToRead = AnsweredRatings(page, state.RatingsToRead),
            };
            var readUpTo = page.Tickets.Count == 0 ? (DateTimeOffset?)null : page.Tickets.Max(t => t.UpdatedAt);
            yield return new SourceBatch { Conversations = conversations, Cursor = state.Format(), Watermark = state.WatermarkAt, ReadUpTo = readUpTo };
            if (page.EndOfStream)
            {
                break;
            }
        }

        // After the export: the backfill has already stored the recent tickets in full, so only the older ones are read.
        if (_openSet.IsDue(state.OpenSetAt))
        {
            await foreach (var step in ReconcileOpenSetAsync(cancellationToken))
            {
                state = step.Done ? state with { OpenSetAt = step.StartedAt.ToUnixTimeMilliseconds() } : state;
                yield return new SourceBatch { Conversations = step.Conversations, Cursor = state.Format(), Watermark = state.WatermarkAt };
            }
        }

        _csat ??= await DetectCsatAsync(cancellationToken);
        if (_csat == ZendeskSettings.CsatSurveyResponses)
        {
            await foreach (var batch in SurveyResponsesAsync(state, cancellationToken))
            {
                yield return batch;
            }
        }
        else if (_csat == ZendeskSettings.CsatLegacy)
        {
            await foreach (var batch in RatingsAsync(state, cancellationToken))
            {
                yield return batch;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// <c>auto</c>: which CSAT the account runs, asked once per process. One survey response means survey responses; a
    /// 403 or 404 (a plan without them, or a credential that may not read them) or an empty list means legacy.
    /// </summary>
    private async Task<string> DetectCsatAsync(CancellationToken cancellationToken)
    {
        var request = new RestRequest(SurveyResponsesPath);
        request.AddQueryParameter("page[size]", "1");
        var response = await _http.SendOrStatusAsync(request, null, NoSurveyResponses, cancellationToken);
        string mode, reason;
        if (NoSurveyResponses.Contains(response.StatusCode))
        {
            (mode, reason) = (ZendeskSettings.CsatLegacy, $"GET /{SurveyResponsesPath} answered HTTP {(int)response.StatusCode}, so the account has no survey responses (or this credential may not read them)");
        }
        else if (SourceJson.Parse<SurveyResponsesPage>(response, "survey responses").SurveyResponses.Count > 0)
        {
            (mode, reason) = (ZendeskSettings.CsatSurveyResponses, $"GET /{SurveyResponsesPath} lists survey responses");
        }
        else
        {
            (mode, reason) = (ZendeskSettings.CsatLegacy, $"GET /{SurveyResponsesPath} lists none (an account that switched to them and has no answer yet is read as legacy until the collector restarts)");
        }

        Log.CsatChosen(_logger, Name, mode, reason, _key);
        return mode;
    }

    /// <summary>
    /// Legacy satisfaction ratings created since the saved position (less the overlap), every page to the end; then,
    /// one by one, the ratings the export showed answered that the list did not hold: a rating is created when the
    /// survey is offered and answered later (its <c>updated_at</c>), so an answer given more than the overlap after its
    /// offer is not in the list; the answer changes the ticket, which is how the export shows it.
    /// </summary>
    private async IAsyncEnumerable<SourceBatch> RatingsAsync(ZendeskCursor state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pageCursor = null;
        var newest = state.RatingsSince;
        var since = Math.Max(0, state.RatingsSince - (long)_csatOverlap.TotalSeconds);
        while (true)
        {
            var page = await RatingsPageAsync(since, pageCursor, cancellationToken);
            var surveys = await SurveysAsync(page.SatisfactionRatings, cancellationToken);
            var more = page.Meta is { HasMore: true, AfterCursor: not null };
            Log.RatingsPage(_logger, Name, page.SatisfactionRatings.Count, more);
            foreach (var r in page.SatisfactionRatings)
            {
                newest = Math.Max(newest, (r.CreatedAt ?? r.UpdatedAt)?.ToUnixTimeSeconds() ?? newest);
            }

            // The position within this read is not saved: a restart reads the ratings again from RatingsSince, and
            // the store ignores what it already holds.
            if (!more)
            {
                state = state with { RatingsSince = newest, RatingsToRead = Unread(state.RatingsToRead) };
            }

            yield return new SourceBatch { Surveys = surveys, Cursor = state.Format(), Watermark = state.WatermarkAt };
            if (!more)
            {
                break;
            }

            pageCursor = page.Meta!.AfterCursor;
        }

        if (state.RatingsToRead is not { Length: > 0 } unread)
        {
            yield break;
        }

        var late = new List<ZendeskRating>(unread.Length);
        foreach (var id in unread)
        {
            var response = await _http.SendOrNotFoundAsync(new RestRequest($"api/v2/satisfaction_ratings/{id.ToString(CultureInfo.InvariantCulture)}.json"), null, cancellationToken);
            if (response is not null)
            {
                late.Add(SourceJson.Parse<RatingResponse>(response, "satisfaction rating").SatisfactionRating); // null: deleted meanwhile
            }
        }

        Log.LateRatings(_logger, Name, unread.Length, late.Count);
        state = state with { RatingsToRead = null };
        yield return new SourceBatch { Surveys = await SurveysAsync(late, cancellationToken), Cursor = state.Format(), Watermark = state.WatermarkAt };
    }

    /// <summary>
    /// The pending ratings plus those the page's tickets show answered (<c>good</c> or <c>bad</c>) with a score this
    /// process has not read for them. Only while legacy ratings are (or may be) read.
    /// </summary>
    private long[]? AnsweredRatings(TicketExportPage page, long[]? pending)
    {
        if (_csat is ZendeskSettings.CsatOff or ZendeskSettings.CsatSurveyResponses)
        {
            return null;
        }

        var ids = new HashSet<long>(pending ?? []);
        foreach (var t in page.Tickets)
        {
            if (t.SatisfactionRating is { ValueKind: JsonValueKind.Object } rating
                && rating.TryGetProperty("id", out var idElement) && idElement.TryGetInt64(out var id)
                && rating.TryGetProperty("score", out var scoreElement) && scoreElement.ValueKind == JsonValueKind.String
                && scoreElement.GetString()?.Trim().ToLowerInvariant() is "good" or "bad"
                && _ratingsRead.GetValueOrDefault(id) != scoreElement.GetString()!.Trim().ToLowerInvariant())
            {
                ids.Add(id);
            }
        }

        return ids.Count == 0 ? null : [.. ids.Order()];
    }

    /// <summary>The pending ratings that the ratings list just read did not hold (with the score the export showed or another).</summary>
    private long[]? Unread(long[]? pending) =>
        pending?.Where(id => !_ratingsRead.ContainsKey(id)).ToArray() is { Length: > 0 } left ? left : null;

    /// <summary>
    /// Survey responses created since the saved position (less the overlap), in id order (ULIDs: creation order), every
    /// page to the end. Each page's batch moves the position to the newest response it holds, so a restart mid-read
    /// resumes there; responses read twice are the same records, upserted by id.
    /// </summary>
    private async IAsyncEnumerable<SourceBatch> SurveyResponsesAsync(ZendeskCursor state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pageCursor = null;
        var since = Math.Max(0, state.SurveysSinceOrStart - (long)_csatOverlap.TotalMilliseconds);
        while (true)
        {
            var request = new RestRequest(SurveyResponsesPath);
            request.AddQueryParameter("filter[created_at_start]", since.ToString(CultureInfo.InvariantCulture));
            request.AddQueryParameter("page[size]", SurveyPageSize.ToString(CultureInfo.InvariantCulture));
            request.AddQueryParameter("sort", "id");
            if (pageCursor is not null)
            {
                request.AddQueryParameter("page[after]", pageCursor);
            }

            var response = await _http.SendAsync(request, null, cancellationToken);
            var page = SourceJson.Parse<SurveyResponsesPage>(response, "survey responses");
            var more = page.Meta is { HasMore: true, AfterCursor: not null };
            if (more && page.Meta!.AfterCursor == pageCursor)
            {
                throw SourceJson.Malformed("survey responses", "$.meta.after_cursor", "has_more is true but after_cursor does not move on");
            }

            var surveys = await SurveysAsync(page.SurveyResponses, cancellationToken);
            Log.SurveyResponsesPage(_logger, Name, page.SurveyResponses.Count, surveys.Count, more);
            var newest = state.SurveysSinceOrStart;
            foreach (var r in page.SurveyResponses)
            {
                newest = Math.Max(newest, Created(r)?.ToUnixTimeMilliseconds() ?? newest);
            }

            state = state with { SurveysSince = newest };
            yield return new SourceBatch { Surveys = surveys, Cursor = state.Format(), Watermark = state.WatermarkAt };
            if (!more)
            {
                break;
            }

            pageCursor = page.Meta!.AfterCursor;
        }
    }

    /// <summary>When a survey response was created, as its created_at filter sees it: its own, else its first answer's.</summary>
    private static DateTimeOffset? Created(ZendeskSurveyResponse r) =>
        r.CreatedAt ?? (r.Answers ?? []).Select(a => a.CreatedAt ?? a.UpdatedAt).Min();

    private async Task<TicketExportPage> ExportPageAsync(ZendeskCursor state, CancellationToken cancellationToken)
    {
        var request = new RestRequest("api/v2/incremental/tickets/cursor.json");
        if (state.After is { } after)
        {
            request.AddQueryParameter("cursor", after);
        }
        else
        {
            request.AddQueryParameter("start_time", state.StartTime.ToString(CultureInfo.InvariantCulture));
        }

        request.AddQueryParameter("include", "metric_sets");
        request.AddQueryParameter("per_page", _zendesk.PerPage.ToString(CultureInfo.InvariantCulture));
        var response = await _http.SendAsync(request, _export, cancellationToken);
        var page = SourceJson.Parse<TicketExportPage>(response, "incremental ticket export");
        if (!page.EndOfStream && (page.AfterCursor is null || page.AfterCursor == state.After))
        {
            throw SourceJson.Malformed("incremental ticket export", "$.after_cursor", "end_of_stream is false but after_cursor does not move on");
        }

        return page;
    }

    private async Task<List<Conversation>> ConversationsAsync(TicketExportPage page, CancellationToken cancellationToken)
    {
        var metrics = new Dictionary<long, ZendeskMetricSet>();
        foreach (var m in page.MetricSets ?? [])
        {
            metrics[m.TicketId] = m;
        }

        var conversations = new List<Conversation>(page.Tickets.Count);
        foreach (var ticket in page.Tickets)
        {
            var status = ZendeskMapping.Status(ticket.Status) ?? await CustomStatusAsync(ticket, cancellationToken);
            var conversation = ZendeskMapping.Conversation(Name, ticket, metrics.GetValueOrDefault(ticket.Id), status);
            Remember(ticket.Id, new TicketFacts(conversation.Channel, conversation.AssigneeId, conversation.Team));
            conversations.Add(conversation);
        }

        return conversations;
    }

    /// <summary>The status category of a ticket whose <c>status</c> is not one of the standard ones, from its custom status.</summary>
    private async Task<ConversationStatus> CustomStatusAsync(ZendeskTicket ticket, CancellationToken cancellationToken)
    {
        if (ticket.CustomStatusId is { } id)
        {
            if (_customStatuses is null)
            {
                var response = await _http.SendAsync(new RestRequest("api/v2/custom_statuses.json"), null, cancellationToken);
                _customStatuses = SourceJson.Parse<CustomStatusesResponse>(response, "custom statuses").CustomStatuses
                    .Where(c => ZendeskMapping.Status(c.StatusCategory) is not null)
                    .ToDictionary(c => c.Id, c => ZendeskMapping.Status(c.StatusCategory)!.Value);
            }

            if (_customStatuses.TryGetValue(id, out var category))
            {
                return category;
            }
        }

        if (_unknownStatuses.Add(ticket.Status ?? ""))
        {
            Log.UnknownStatus(_logger, Name, ticket.Status ?? "", ticket.CustomStatusId);
        }

        return ConversationStatus.Open;
    }

    private async Task<RatingsPage> RatingsPageAsync(long since, string? pageCursor, CancellationToken cancellationToken)
    {
        var request = new RestRequest("api/v2/satisfaction_ratings.json");
        request.AddQueryParameter("score", "received");
        request.AddQueryParameter("start_time", since.ToString(CultureInfo.InvariantCulture));
        request.AddQueryParameter("page[size]", "100");
        if (pageCursor is not null)
        {
            request.AddQueryParameter("page[after]", pageCursor);
        }

        var response = await _http.SendAsync(request, null, cancellationToken);
        return SourceJson.Parse<RatingsPage>(response, "satisfaction ratings");
    }

    private async Task<List<SurveyResponse>> SurveysAsync(List<ZendeskRating> ratings, CancellationToken cancellationToken)
    {
        await LearnTicketsAsync(ratings.Select(r => r.TicketId).OfType<long>(), cancellationToken);
        var surveys = new List<SurveyResponse>(ratings.Count);
        for (var i = 0; i < ratings.Count; i++)
        {
            var r = ratings[i];
            var respondedAt = r.UpdatedAt ?? r.CreatedAt
                ?? throw SourceJson.Malformed("satisfaction ratings", $"$.satisfaction_ratings[{i}]", "a rating has neither updated_at nor created_at");
            var channel = r.TicketId is { } ticket ? _tickets.GetValueOrDefault(ticket).Channel ?? Channels.Other : Channels.Other;
            if (ZendeskMapping.Survey(Name, r, channel, respondedAt) is { } survey)
            {
                surveys.Add(survey);
                RememberRating(r.Id, r.Score.Trim().ToLowerInvariant());
            }
        }

        return surveys;
    }

    /// <summary>
    /// The CSAT ratings among survey responses: skipped or unanswered ratings and subjects other than tickets give
    /// nothing. Channel, agent and team are the ticket's (survey responses carry none).
    /// </summary>
    private async Task<List<SurveyResponse>> SurveysAsync(List<ZendeskSurveyResponse> responses, CancellationToken cancellationToken)
    {
        var rated = responses.Select((r, i) => (Response: r, Index: i, Ticket: ZendeskMapping.Ticket(r), Answer: ZendeskMapping.CsatAnswer(r)))
            .Where(x => x.Ticket is not null && x.Answer?.Rating is not null)
            .ToList();
        await LearnTicketsAsync(rated.Select(x => x.Ticket!.Value), cancellationToken);
        var surveys = new List<SurveyResponse>(rated.Count);
        foreach (var (r, i, ticket, answer) in rated)
        {
            var respondedAt = answer!.UpdatedAt ?? answer.CreatedAt ?? r.UpdatedAt ?? r.CreatedAt
                ?? throw SourceJson.Malformed("survey responses", $"$.survey_responses[{i}]", "neither the rating answer nor the response has updated_at or created_at");
            var facts = _tickets.GetValueOrDefault(ticket!.Value);
            if (ZendeskMapping.Survey(Name, r, ticket.Value, respondedAt, facts.Channel ?? Channels.Other, facts.Agent, facts.Team) is { } survey)
            {
                surveys.Add(survey);
            }
        }

        return surveys;
    }

    /// <summary>Looks up, with <c>show_many</c>, the tickets this process has not seen in the export (their channel, assignee and group).</summary>
    private async Task LearnTicketsAsync(IEnumerable<long> tickets, CancellationToken cancellationToken)
    {
        var unknown = tickets.Where(id => !_tickets.ContainsKey(id)).Distinct().ToList();
        foreach (var chunk in unknown.Chunk(ShowManyLimit))
        {
            var request = new RestRequest("api/v2/tickets/show_many.json");
            request.AddQueryParameter("ids", string.Join(',', chunk.Select(id => id.ToString(CultureInfo.InvariantCulture))));
            var response = await _http.SendAsync(request, null, cancellationToken);
            foreach (var t in SourceJson.Parse<TicketsResponse>(response, "tickets show_many").Tickets)
            {
                Remember(t.Id, new TicketFacts(
                    t.Via is { } via ? ZendeskChannels.Normalize(via.Channel) : Channels.Other,
                    t.AssigneeId?.ToString(CultureInfo.InvariantCulture),
                    t.GroupId?.ToString(CultureInfo.InvariantCulture)));
            }
        }
    }

    /// <summary>Ticket facts seen by this process, for CSAT answers (which carry no channel); bounded, a miss costs a show_many.</summary>
    private void Remember(long ticket, TicketFacts facts)
    {
        if (_tickets.Count >= TicketCacheLimit)
        {
            _tickets.Clear();
        }

        _tickets[ticket] = facts;
    }

    private void RememberRating(long id, string score)
    {
        if (_ratingsRead.Count >= TicketCacheLimit)
        {
            _ratingsRead.Clear(); // a rating forgotten costs one request if its ticket shows it again
        }

        _ratingsRead[id] = score;
    }

    /// <summary>What a CSAT answer takes from its ticket; <see cref="Channel"/> is null for a ticket not seen.</summary>
    private readonly record struct TicketFacts(string? Channel, string? Agent, string? Team);
}
