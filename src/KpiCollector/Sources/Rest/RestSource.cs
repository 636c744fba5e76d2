using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Sources.Http;
using KpiCollector.Storage;
using RestSharp;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// A helpdesk read through a declarative profile (docs/profiles.md): each of the profile's streams in order, page by
/// page, one batch per page with the cursor that resumes after it, so a crash loses nothing and applies nothing twice.
/// </summary>
public sealed partial class RestSource : ISourceWithStatus, IDisposable
{
    private const int ChannelCacheLimit = 200_000;

    private readonly SourceHttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly TimeSpan _backfill;
    private readonly RestProfile _profile;
    private readonly RestSettings _settings;
    private readonly Dictionary<string, string> _channelByConversation = [];
    private readonly Dictionary<string, RequestBudget> _streamBudgets = [];

    public RestSource(SourceOptions options, int index, RestSettings settings, TimeProvider time, ILogger<RestSource> logger, IRestState? state = null, Random? jitter = null, IOpenConversations? openSet = null)
    {
        Name = options.Name;
        _time = time;
        _logger = logger;
        _settings = settings;
        _key = $"{KpiCollectorOptions.SectionName}:Sources:{index}";
        _backfill = Durations.Parse(options.Backfill);
        var failures = new List<string>();
        _profile = RestProfileLoader.Load(settings.Profile ?? "", settings.Variables.Keys, failures)
            ?? throw new InvalidOperationException($"{_key}:Rest:Profile: {string.Join("; ", failures)}");
        var connection = new HttpConnection(options, Platform, HttpSettings(options, index, settings, _profile), time, logger, jitter);
        (Status, _http) = (connection.Status, connection.Http);
        _oauth = RestOAuth.For(_profile, settings, options, index, _http, time, state);
        _ = state;
        _ = openSet;
        connection.WarnIfOverBudget(_profile.Streams.Count);
        foreach (var stream in _profile.Streams.Where(s => s.RequestsPerMinute is not null))
        {
            var budget = connection.Budget($"stream {stream.Name}", stream.RequestsPerMinute!.Value, $"Rest:Profile ({_profile.File}: streams.{stream.Name}.requests_per_minute)");
            _streamBudgets[stream.Name] = budget;
            connection.WarnIfOverBudget(1, budget);
        }

        _fanOutState = state ?? new MemoryRestState();
    }

    /// <summary>Where, as whom and how this source's requests go, from the profile's requester and authenticator.</summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index, RestSettings settings, RestProfile profile)
    {
        var (secret, hint) = options.ApiToken is null && options.ApiTokenFile is null ? ("", $"{KpiCollectorOptions.SectionName}:Sources:{index}:ApiToken") : CredentialSource.Read(options, index);
        string Fill(string template) => Render(template, settings.Variables, secret, options.Email);
        var auth = profile.Auth;
        var credential = auth.Type switch
        {
            "basic" => SourceCredential.Basic(Fill(auth.Username), Fill(auth.Password), hint),
            "api_key" => SourceCredential.Header(auth.Header, auth.Prefix is { } p ? $"{p} {Fill(auth.Token)}" : Fill(auth.Token), hint),
            "url_token" => SourceCredential.None(hint),
            "oauth2_client_credentials" or "oauth2_refresh_token" => SourceCredential.None(RestOAuth.Hint(index, auth.Type)), // the token goes on each request (RestSource.OAuth.cs)
            _ => SourceCredential.Bearer(Fill(auth.Token), hint),
        };
        var baseUrl = string.IsNullOrWhiteSpace(options.BaseUrl) ? Fill(profile.BaseUrl!) : options.BaseUrl;
        var defaults = HttpSourceSettings.From(options, index, RestDefaults.RequestsPerMinute, credential, $"the profile {profile.File} says which permissions its endpoints need", baseUrl);
        return defaults with
        {
            BaseUrl = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/"),
            RequestsPerMinute = options.RequestsPerMinute ?? profile.RequestsPerMinute ?? defaults.RequestsPerMinute,
        };
    }

    public string Name { get; }

    public string Platform => RestDefaults.Platform;

    public TimeSpan? BackfillSpan => _backfill;

    public double? BackfillRequestsPerMinute => _http.Account.RequestsPerMinute;

    public SourceCapabilities Capabilities => new()
    {
        Responders = _profile.Streams.SelectMany(FieldSets).Any(fields => fields.TryGetValue("first_responder_kind", out var f) && (f.Map?.Values.Contains("bot") == true || f.Default == "bot" || f.Missing == "bot" || f.Value == "bot"))
            ? SourceCapabilities.BotAndHuman : SourceCapabilities.HumanOnly,
        Surveys = SourceCapabilities.CsatIf(_profile.Streams.Any(s => s.Record == "survey" || s.FanOut?.Surveys is not null)),
    };

    public SourceStatus Status { get; }

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        RestCursor state;
        if (cursor is null)
        {
            state = new RestCursor();
            Log.FirstPoll(_logger, Name, _profile.Name, _time.GetUtcNow() - _backfill, _key);
        }
        else
        {
            state = RestCursor.Parse(cursor);
        }

        var start = (_time.GetUtcNow() - _backfill).ToUnixTimeSeconds() * 1000;
        foreach (var stream in _profile.Streams)
        {
            var mapper = new RestMapper(Name, stream, _settings.Maps);
            if (stream.Incremental?.NewestFirst == true || stream.Paginator.Type == "keyset")
            {
                var walk = stream.Paginator.Type == "keyset" ? KeysetAsync(stream, mapper, state, start, cancellationToken) : NewestFirstAsync(stream, mapper, state, start, cancellationToken);
                await foreach (var (batch, next) in walk)
                {
                    state = next;
                    yield return batch;
                }

                continue;
            }

            var position = state.Streams.GetValueOrDefault(stream.Name) ?? new RestStreamCursor { Since = start };
            var fanOut = FanOutPollFor(stream);
            while (true)
            {
                var requestedAt = _time.GetUtcNow();
                var response = await SendAsync(() => Request(stream, position), _streamBudgets.GetValueOrDefault(stream.Name), notFound: false, cancellationToken);
                using var document = Parse(response!, stream);
                var records = stream.Selector.Select(document.RootElement).SelectMany(e => stream.Selector.IsMulti || e.ValueKind != JsonValueKind.Array ? [e] : e.EnumerateArray().ToArray()).ToList();
                Log.Page(_logger, Name, stream.Name, records.Count);
                var (batch, pending) = await MapPageAsync(stream, mapper, records, position, fanOut, cancellationToken);
                var newest = stream.Incremental is { } inc
                    ? records.Select(r => RestValues.Time(inc.CursorField.First(r) is { } e ? RestValues.Text(e) : null)).Where(t => t is not null).Select(t => t!.Value.ToUnixTimeMilliseconds()).DefaultIfEmpty(long.MinValue).Max()
                    : long.MinValue;
                var (more, next) = Next(stream, position, records.Count, document.RootElement, response!);
                long? watermark = state.Watermark;
                if (more)
                {
                    position = next;
                    if (stream.Incremental?.SlideOnFullPage == true)
                    {
                        if (newest > position.Since)
                        {
                            position = position with { Since = newest, Page = null, Offset = 0 };
                        }
                        else if (stream.Paginator.MaxPage is { } max && (position.Page ?? stream.Paginator.StartPage) > max)
                        {
                            throw new SourceException(ErrorReasons.Other, $"stream {stream.Name}: more than {max} pages of records share one {stream.Incremental.Param} instant; the API cannot page past {max} ({_profile.File}: paginator.max_page)");
                        }
                    }
                }
                else
                {
                    position = new RestStreamCursor { Since = Math.Max(position.Since, newest) };
                    if (stream.SetsWatermark)
                    {
                        watermark = Math.Max(watermark ?? long.MinValue, (requestedAt - _profile.WatermarkLag).ToUnixTimeMilliseconds());
                    }
                }

                if (pending is { } resume)
                {
                    (position, more, watermark) = (resume, false, state.Watermark); // the fan-out's calls ran out: the rest waits for the next poll
                }

                var streams = new Dictionary<string, RestStreamCursor>(state.Streams) { [stream.Name] = position };
                state = state with { Streams = streams, Watermark = watermark };
                yield return batch with { Cursor = state.Format(), Watermark = state.WatermarkAt };
                if (!more)
                {
                    break;
                }
            }

            LogFanOut(stream, fanOut);
        }
    }

    public void Dispose()
    {
        _oauth?.Dispose();
        _http.Dispose();
    }

    private RestRequest Request(RestStream stream, RestStreamCursor position)
    {
        var p = stream.Paginator;
        if (position.Next is { } url && p.Type is "link_header" or "next_url")
        {
            return WithBody(new RestRequest(new Uri(url, UriKind.RelativeOrAbsolute).IsAbsoluteUri ? url : url.TrimStart('/')), stream, position);
        }

        var request = new RestRequest(Render(stream.Path, _settings.Variables, null, null));
        foreach (var (name, value) in stream.Query)
        {
            request.AddQueryParameter(name, Render(value, _settings.Variables, null, null));
        }

        if (stream.Incremental is { NewestFirst: false, Param.Length: > 0 } inc)
        {
            request.AddQueryParameter(inc.Param, Render(inc.Template.Replace("{since}", SinceText(inc, position), StringComparison.Ordinal), _settings.Variables, null, null));
        }

        var size = p.PageSize.ToString(CultureInfo.InvariantCulture);
        switch (p.InjectInto == "body" ? "" : p.Type) // in the body, the paginator adds nothing to the query (RestSource.Body.cs)
        {
            case "page_number":
                request.AddQueryParameter(p.PageParam, (position.Page ?? p.StartPage).ToString(CultureInfo.InvariantCulture));
                if (p.SizeParam is { } sp)
                {
                    request.AddQueryParameter(sp, size);
                }

                break;
            case "offset":
                request.AddQueryParameter(p.OffsetParam, position.Offset.ToString(CultureInfo.InvariantCulture));
                request.AddQueryParameter(p.LimitParam, size);
                break;
            case "cursor" when position.Next is { } token:
                request.AddQueryParameter(p.CursorParam!, token);
                break;
            case "keyset":
                AddKeyset(request, p, position);
                break;
            case "link_header" or "next_url" or "cursor" when p.SizeParam is { } sizeParam:
                request.AddQueryParameter(sizeParam, size);
                break;
        }

        return WithBody(request, stream, position);
    }

    /// <summary>Whether another page follows, and where it starts.</summary>
    private static (bool More, RestStreamCursor Next) Next(RestStream stream, RestStreamCursor position, int count, JsonElement root, RestResponse response)
    {
        var p = stream.Paginator;
        var page = position.Page ?? p.StartPage;
        switch (p.Type)
        {
            case "page_number":
            {
                var more = p.Stop switch
                {
                    "empty_page" => count > 0,
                    "total_field" => count > 0 && p.TotalPath!.First(root) is { ValueKind: JsonValueKind.Number } total && (page - p.StartPage + 1) * (long)p.PageSize < total.GetInt64(),
                    "total_pages_header" => count > 0 && response.Headers?.FirstOrDefault(h => string.Equals(h.Name, p.TotalPagesHeader, StringComparison.OrdinalIgnoreCase))?.Value is { } v
                        && int.TryParse(v.ToString(), CultureInfo.InvariantCulture, out var pages) && page < pages,
                    _ => count >= p.PageSize,
                };
                return (more, position with { Page = page + 1 });
            }

            case "offset":
                return (p.Stop == "empty_page" ? count > 0 : count >= p.PageSize, position with { Offset = position.Offset + count });
            case "link_header":
            {
                var link = response.Headers?.FirstOrDefault(h => string.Equals(h.Name, "Link", StringComparison.OrdinalIgnoreCase))?.Value?.ToString();
                var next = NextLink(link);
                return (next is not null, position with { Next = next });
            }

            case "next_url" or "cursor":
            {
                var next = p.NextPath!.First(root) is { } e ? RestValues.Text(e) : null;
                var more = !string.IsNullOrEmpty(next) && (p.Type == "next_url" || count > 0);
                return (more, position with { Next = more ? next : null });
            }

            default:
                return (false, position);
        }
    }

    /// <summary>The target of <c>rel="next"</c> in a Link header.</summary>
    internal static string? NextLink(string? header)
    {
        foreach (var part in (header ?? "").Split(','))
        {
            var pieces = part.Split(';');
            if (pieces.Skip(1).Any(x => x.Trim().Replace(" ", "", StringComparison.Ordinal) is "rel=\"next\"" or "rel=next"))
            {
                return pieces[0].Trim().TrimStart('<').TrimEnd('>');
            }
        }

        return null;
    }

    private JsonDocument Parse(RestResponse response, RestStream stream)
    {
        try
        {
            return JsonDocument.Parse(response.Content ?? "");
        }
        catch (JsonException ex)
        {
            throw new SourceException(ErrorReasons.Parse, $"stream {stream.Name}: malformed response: {ex.Message}", ex);
        }
    }

    private async Task<SourceBatch> MapAsync(RestStream stream, RestMapper mapper, List<JsonElement> records, CancellationToken cancellationToken)
    {
        switch (stream.Record)
        {
            case "conversation":
                var conversations = await ConversationsAsync(stream, mapper, records, cancellationToken);
                foreach (var c in conversations)
                {
                    Remember(c.ExternalId, c.Channel);
                }

                return new SourceBatch { Conversations = conversations, Cursor = "" };
            case "survey":
                var surveys = new List<SurveyResponse>();
                foreach (var r in records)
                {
                    if (mapper.Survey(r, await ChannelAsync(stream, mapper, r, cancellationToken)) is { } s)
                    {
                        surveys.Add(s);
                    }
                }

                return new SourceBatch { Surveys = surveys, Cursor = "" };
            default:
                var messages = new List<MessageEvent>();
                foreach (var r in records)
                {
                    if (mapper.Message(r, await ChannelAsync(stream, mapper, r, cancellationToken)) is { } m)
                    {
                        messages.Add(m);
                    }
                }

                return new SourceBatch { Messages = messages, Cursor = "" };
        }
    }

    /// <summary>The record's channel: its own field, or the channel of its conversation (cached; else fetched through the stream's lookup).</summary>
    private async Task<string> ChannelAsync(RestStream stream, RestMapper mapper, JsonElement record, CancellationToken cancellationToken)
    {
        if (stream.Fields.GetValueOrDefault("channel") is not { FromConversation: true })
        {
            return Channels.Normalize(mapper.Value(record, "channel"));
        }

        if (mapper.Value(record, "conversation_id") is not { } id)
        {
            return Channels.Other;
        }

        if (_channelByConversation.TryGetValue(id, out var known))
        {
            return known;
        }

        if (stream.ConversationLookup is not { } lookup)
        {
            return Channels.Other;
        }

        var conversations = _profile.Streams.First(s => s.Name == lookup.Stream);
        var response = await SendAsync(() => new RestRequest(Render(lookup.Path.Replace("{id}", Uri.EscapeDataString(id), StringComparison.Ordinal), _settings.Variables, null, null)), null, notFound: true, cancellationToken);
        if (response is null)
        {
            Remember(id, Channels.Other); // deleted since: its channel is gone with it
            return Channels.Other;
        }

        using var document = Parse(response, stream);
        var found = conversations.Selector.First(document.RootElement) is { ValueKind: JsonValueKind.Object } one ? one : document.RootElement; // a { result: {...} } carrier, or the record itself
        var channel = new RestMapper(Name, conversations, _settings.Maps).Conversation(found)?.Channel ?? Channels.Other;
        Remember(id, channel);
        return channel;
    }

    private void Remember(string conversation, string channel)
    {
        if (_channelByConversation.Count >= ChannelCacheLimit)
        {
            _channelByConversation.Clear();
        }

        _channelByConversation[conversation] = channel;
    }

    internal static string Render(string template, IReadOnlyDictionary<string, string> variables, string? token, string? email) =>
        RestVocabulary.TemplateVariable().Replace(template, m => m.Groups[1].Value switch
        {
            "token" => token ?? "",
            "email" => email ?? "",
            var name => variables.GetValueOrDefault(name) ?? m.Value,
        });
}
