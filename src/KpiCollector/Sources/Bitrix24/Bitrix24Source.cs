using System.Globalization;
using System.Runtime.CompilerServices;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Bitrix24;

/// <summary>
/// Reads the open-line sessions of a Bitrix24 portal (docs/sources.md, "Bitrix24 Open Channels"). Bitrix24 has no
/// method that lists sessions, so the connector lists the CRM activities of the open-line provider
/// (<c>crm.activity.list</c>, <c>PROVIDER_ID</c> <c>IMOPENLINES_SESSION</c>), one per session, that changed since the
/// last sweep, by ascending id without counting (<c>filter[&gt;ID]</c>, <c>order[ID]=ASC</c>, <c>start=-1</c>), and
/// reads each changed session's history (<c>imopenlines.session.history.get</c>) in <c>batch</c> calls of up to 50,
/// at most <see cref="Bitrix24Settings.SessionHistoryPerPoll"/> a poll; the rest wait in the cursor.
/// </summary>
/// <remarks>
/// A sweep reads the activities with <c>LAST_UPDATED</c> at or after its lower bound, paging by id. The next sweep's
/// bound is the instant this one started less <see cref="Overlap"/> (clock skew between the portal and the collector),
/// so an activity changed while a sweep ran behind it is read by the next one. What the overlap reads again is skipped
/// when its <c>LAST_UPDATED</c> has not moved (<see cref="Bitrix24Cursor.Read"/>).
/// </remarks>
public sealed class Bitrix24Source : ISourceWithStatus, IDisposable
{
    /// <summary>Rows a page of a Bitrix24 list holds (fixed by Bitrix24), and commands a <c>batch</c> takes at most.</summary>
    public const int PageSize = 50;

    /// <summary>How far before a sweep's start the next sweep reads again: the portal's clock may differ from ours.</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);

    /// <summary>The wait after <c>QUERY_LIMIT_EXCEEDED</c>: the leaky bucket drains 2 requests a second, so a few seconds frees room.</summary>
    public static readonly TimeSpan QueryLimitWait = TimeSpan.FromSeconds(2);

    internal const string Provider = "IMOPENLINES_SESSION";

    private static readonly string[] Fields =
        ["ID", "ASSOCIATED_ENTITY_ID", "PROVIDER_ID", "PROVIDER_TYPE_ID", "CREATED", "START_TIME", "END_TIME", "LAST_UPDATED", "COMPLETED", "RESPONSIBLE_ID"];

    private readonly SourceHttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Bitrix24Settings _settings;
    private readonly string _key;
    private readonly TimeSpan _backfill;
    private readonly Dictionary<string, string> _channels;
    private readonly HashSet<string> _warned = new(StringComparer.OrdinalIgnoreCase);

    public Bitrix24Source(SourceOptions options, int index, TimeProvider time, ILogger<Bitrix24Source> logger, Random? jitter = null)
    {
        var connection = new HttpConnection(options, Bitrix24Platform.Id, HttpSettings(options, index), time, logger, jitter);
        (Name, _key, _backfill, Status, _http) = (connection.Name, connection.Key, connection.Backfill, connection.Status, connection.Http);
        _time = time;
        _logger = logger;
        _settings = options.SettingsOf<Bitrix24Settings>();
        _channels = _settings.ConnectorChannels.ToDictionary(kv => kv.Key, kv => Channels.Normalize(kv.Value), StringComparer.OrdinalIgnoreCase);
        connection.WarnIfOverBudget(1);
    }

    /// <summary>
    /// Where, as whom and how this source's requests go: shared by the poll and <c>check sources</c>. The webhook's
    /// code is a URL segment the credential fills in, so the logged resource reads <c>rest/1/{webhook}/method</c>.
    /// </summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index)
    {
        var (secret, hint) = CredentialSource.Read(options, index);
        return HttpSourceSettings.From(
            options,
            index,
            Bitrix24Platform.RequestsPerMinute,
            SourceCredential.UrlSegment("webhook", secret, $"{hint}, the code of a Bitrix24 inbound webhook"),
            "The inbound webhook needs the scopes imopenlines and crm, and its user must see every open line's sessions (an administrator or a supervisor of all lines).")
            with
            {
                IsRateLimitedBody = body => body?.Contains("QUERY_LIMIT_EXCEEDED", StringComparison.Ordinal) == true,
                RateLimitedWait = QueryLimitWait,
            };
    }

    /// <summary>The resource of a REST method under the webhook: <c>rest/{user}/{webhook}/{method}</c>.</summary>
    internal static string Method(Bitrix24Settings settings, string method) => Root(settings) + method;

    public string Name { get; }

    public string Platform => Bitrix24Platform.Id;

    public TimeSpan? BackfillSpan => _backfill;

    public double? BackfillRequestsPerMinute => _http.Account.RequestsPerMinute;

    /// <summary>Bots and operators are told apart by the history's users; the customer's vote is the CSAT.</summary>
    public SourceCapabilities Capabilities => new() { Responders = SourceCapabilities.BotAndHuman, Surveys = SourceCapabilities.CsatIf(_settings.Csat) };

    public SourceStatus Status { get; }

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Bitrix24Cursor state;
        if (cursor is null)
        {
            state = Bitrix24Cursor.First(_time.GetUtcNow() - _backfill);
            Log.FirstPoll(_logger, Name, DateTimeOffset.FromUnixTimeSeconds(state.Since), _key);
        }
        else
        {
            state = Bitrix24Cursor.Parse(cursor);
        }

        var budget = _settings.SessionHistoryPerPoll;

        // The sessions an earlier poll (or the process before a restart) left waiting come first.
        while (state.Pending.Count > 0 && budget > 0)
        {
            var take = state.Pending.Take(Math.Min(PageSize, budget)).ToList();
            var (conversations, surveys) = await ReadSessionsAsync(take, cancellationToken);
            budget -= take.Count;
            var done = take.Select(p => p.ActivityId).ToHashSet();
            state = Record(state with { Pending = [.. state.Pending.Where(p => !done.Contains(p.ActivityId))] }, take, _time.GetUtcNow());
            yield return Batch(state, conversations, surveys);
        }

        while (state.Pending.Count < _settings.MaxPendingSessions)
        {
            var requestedAt = _time.GetUtcNow();
            state = state.SweepStartedAt is null ? state with { SweepStartedAt = requestedAt.ToUnixTimeSeconds() } : state;
            var page = await ActivitiesAsync(state, cancellationToken);
            var rows = page.Result.Select(Bitrix24Mapping.Read).ToList();
            var changed = rows
                .Where(p => !(state.Read.TryGetValue(p.ActivityId, out var read) && read == p.Updated))
                .Where(p => !state.Pending.Any(q => q.ActivityId == p.ActivityId && q.Updated == p.Updated))
                .ToList();
            var now = changed.Take(Math.Max(0, budget)).ToList();
            var later = changed.Skip(now.Count).ToList();
            budget -= now.Count;

            var (conversations, surveys) = now.Count == 0 ? ([], []) : await ReadSessionsAsync(now, cancellationToken);
            conversations.AddRange(later.Select(p => Bitrix24Mapping.Conversation(Name, p, null, ChannelOf(p.Connector)))); // counted now, answers later
            var replaced = changed.Select(p => p.ActivityId).ToHashSet();
            state = Record(
                state with
                {
                    AfterId = rows.Count == 0 ? state.AfterId : Math.Max(state.AfterId, rows.Max(p => p.ActivityId)),
                    Pending = [.. state.Pending.Where(p => !replaced.Contains(p.ActivityId)), .. later],
                },
                now,
                requestedAt);
            Log.ActivitiesPage(_logger, Name, state.AfterId, rows.Count, now.Count, state.Pending.Count);
            var end = page.Result.Count < PageSize;
            if (end)
            {
                state = EndSweep(state);
            }

            yield return Batch(state, conversations, surveys, rows.Count == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(rows.Max(p => p.Updated)));
            if (end)
            {
                break;
            }
        }

        if (state.Pending.Count > 0)
        {
            Log.HistoryDeferred(_logger, Name, state.Pending.Count, _key, _settings.SessionHistoryPerPoll);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The end of a sweep: the next starts at this one's start less the overlap, forgets what lies before it, and the
    /// watermark moves up to this sweep's start, or to the oldest change still waiting for its history.
    /// </summary>
    private static Bitrix24Cursor EndSweep(Bitrix24Cursor state)
    {
        var started = state.SweepStartedAt ?? state.Since;
        var since = Math.Max(state.Since, started - (long)Overlap.TotalSeconds);
        var complete = state.Pending.Count == 0 ? started - (long)Overlap.TotalSeconds : Math.Min(started - (long)Overlap.TotalSeconds, state.Pending.Min(p => p.Updated) - 1);
        return state with
        {
            Since = since,
            AfterId = 0,
            SweepStartedAt = null,
            Read = state.Read.Where(kv => kv.Value >= since).ToDictionary(),
            Watermark = Math.Max(state.Watermark ?? long.MinValue, complete * 1000),
        };
    }

    /// <summary>
    /// Remembers the sessions just read in full, but only those a sweep would list again: changed within the overlap
    /// of the sweep under way (or of the next one), or still ahead of the current sweep's keyset. The rest cannot come
    /// again unchanged, so a long backfill does not grow the cursor.
    /// </summary>
    private static Bitrix24Cursor Record(Bitrix24Cursor state, IEnumerable<Bitrix24Pending> read, DateTimeOffset now)
    {
        var recent = (state.SweepStartedAt ?? now.ToUnixTimeSeconds()) - (long)Overlap.TotalSeconds;
        var map = new Dictionary<long, long>(state.Read);
        foreach (var p in read.Where(p => p.Updated >= recent || (p.ActivityId > state.AfterId && p.Updated >= state.Since)))
        {
            map[p.ActivityId] = p.Updated;
        }

        return state with { Read = map };
    }

    private static SourceBatch Batch(Bitrix24Cursor state, List<Conversation> conversations, List<SurveyResponse> surveys, DateTimeOffset? readUpTo = null) =>
        new() { Conversations = conversations, Surveys = surveys, Cursor = state.Format(), Watermark = state.WatermarkAt, ReadUpTo = readUpTo };

    private async Task<Bitrix24ActivityPage> ActivitiesAsync(Bitrix24Cursor state, CancellationToken cancellationToken)
    {
        var request = new RestRequest(Method(_settings, "crm.activity.list"));
        request.AddQueryParameter("filter[PROVIDER_ID]", Provider);
        request.AddQueryParameter("filter[>=LAST_UPDATED]", Iso(DateTimeOffset.FromUnixTimeSeconds(state.Since)));
        request.AddQueryParameter("filter[>ID]", state.AfterId.ToString(CultureInfo.InvariantCulture));
        request.AddQueryParameter("order[ID]", "ASC");
        foreach (var field in Fields)
        {
            request.AddQueryParameter("select[]", field);
        }

        request.AddQueryParameter("start", "-1");
        var response = await _http.SendAsync(request, null, cancellationToken);
        return SourceJson.Parse<Bitrix24ActivityPage>(response, "activities list");
    }

    /// <summary>One <c>batch</c> of <c>imopenlines.session.history.get</c> calls, mapped. A refused call fails the poll (auth, rate limit).</summary>
    private async Task<(List<Conversation>, List<SurveyResponse>)> ReadSessionsAsync(List<Bitrix24Pending> sessions, CancellationToken cancellationToken)
    {
        var request = new RestRequest(Method(_settings, "batch"), RestSharp.Method.Post);
        request.AddParameter("halt", "0");
        foreach (var p in sessions)
        {
            request.AddParameter($"cmd[{Command(p)}]", $"imopenlines.session.history.get?SESSION_ID={p.SessionId.ToString(CultureInfo.InvariantCulture)}");
        }

        var response = await _http.SendAsync(request, null, cancellationToken);
        var (results, errors) = Bitrix24Json.Batch(response.Content);
        var conversations = new List<Conversation>(sessions.Count);
        var surveys = new List<SurveyResponse>();
        foreach (var p in sessions)
        {
            var command = Command(p);
            var channel = ChannelOf(p.Connector);
            if (errors.TryGetValue(command, out var error))
            {
                if (error.StartsWith("QUERY_LIMIT_EXCEEDED", StringComparison.Ordinal))
                {
                    throw new SourceException(ErrorReasons.RateLimited, $"batch: {command}: QUERY_LIMIT_EXCEEDED; the sessions are read again by the next poll");
                }

                if (error.StartsWith("ACCESS_DENIED", StringComparison.OrdinalIgnoreCase) || error.StartsWith("insufficient_scope", StringComparison.OrdinalIgnoreCase)
                    || error.StartsWith("INVALID_CREDENTIALS", StringComparison.OrdinalIgnoreCase))
                {
                    throw new SourceException(ErrorReasons.Auth, $"batch: imopenlines.session.history.get was refused ({Short(error)}); check {_http.Settings.Credential.Hint}: the webhook needs the scope imopenlines and its user access to every line's sessions");
                }

                Log.HistoryFailed(_logger, Name, p.SessionId, Short(error));
                conversations.Add(Bitrix24Mapping.Conversation(Name, p, null, channel));
                continue;
            }

            if (!results.TryGetValue(command, out var result))
            {
                throw SourceJson.Malformed("batch", $"$.result.result.{command}", "missing: neither an answer nor an error");
            }

            var history = Bitrix24Json.History(result, $"$.result.result.{command}");
            conversations.Add(Bitrix24Mapping.Conversation(Name, p, history, channel));
            if (_settings.Csat && Bitrix24Mapping.Vote(Name, p, history, channel) is { } vote)
            {
                surveys.Add(vote);
            }
        }

        return (conversations, surveys);
    }

    private string ChannelOf(string? connector)
    {
        if (connector is not null && !_channels.ContainsKey(connector) && !Bitrix24Mapping.KnowsConnector(connector) && _warned.Add(connector))
        {
            Log.UnknownConnector(_logger, Name, connector, _key);
        }

        return Bitrix24Mapping.Channel(connector, _channels);
    }

    private static string Command(Bitrix24Pending p) => "s" + p.SessionId.ToString(CultureInfo.InvariantCulture);

    private static string Short(string error) => error.Length > 120 ? error[..120] + "…" : error;

    private static string Root(Bitrix24Settings settings) => $"rest/{settings.UserId.ToString(CultureInfo.InvariantCulture)}/{{webhook}}/";

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);
}
