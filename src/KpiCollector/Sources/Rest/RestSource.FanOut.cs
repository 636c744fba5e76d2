using System.Text.Json;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;
using RestSharp;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// The fan-out of a conversation stream (docs/profiles.md, "Fan-out"): one call per conversation of the page whose
/// version the cache does not hold, at most <see cref="RestFanOut.MaxCallsPerPoll"/> a poll. When the calls run out
/// mid-page, the page commits up to the last conversation done, with a cursor that reads the rest again next poll.
/// </summary>
public sealed partial class RestSource
{
    private readonly Dictionary<string, RestFanOutCache> _fanOutCaches = [];
    private readonly IRestState _fanOutState;

    /// <summary>A poll's count of one stream's fan-out calls; null for a stream without fan-out.</summary>
    private static FanOutPoll? FanOutPollFor(RestStream stream) => stream.FanOut is { } f ? new FanOutPoll(f.MaxCallsPerPoll) : null;

    /// <summary>
    /// The page as a batch; for a fan-out stream, with each conversation's fan-out values, and when the poll's calls ran
    /// out, only the conversations before the first left with the position that reads it again.
    /// </summary>
    private async Task<(SourceBatch Batch, RestStreamCursor? Resume)> MapPageAsync(RestStream stream, RestMapper mapper, List<JsonElement> records, RestStreamCursor position, FanOutPoll? poll, CancellationToken cancellationToken)
    {
        if (poll is null || stream.FanOut is not { } fanOut)
        {
            return (await MapAsync(stream, mapper, records, cancellationToken), null);
        }

        var cache = FanOutCache(stream, fanOut);
        var overlays = await JoinAsync(stream, records, cancellationToken);
        var answers = new RestMapper(Name, FanOutStream(stream, fanOut.Fields), _settings.Maps);
        var cached = new RestMapper(Name, FanOutStream(stream, fanOut.Fields.ToDictionary(f => f.Key, f => new RestField { Paths = [(JsonPath.TryParse($"$['{f.Key}']", out _)!, null)] })), new Dictionary<string, Dictionary<string, string>>());
        var conversations = new List<Conversation>(records.Count);
        var surveys = new List<SurveyResponse>();
        int? left = null;
        for (var i = 0; i < records.Count; i++)
        {
            if (mapper.Conversation(records[i], overlays[i]) is not { } conversation)
            {
                continue;
            }

            var version = conversation.UpdatedAt.ToUnixTimeMilliseconds();
            var values = cache.Get(conversation.ExternalId, version);
            if (values is null)
            {
                if (poll.Calls >= poll.Budget)
                {
                    left = i;
                    break;
                }

                poll.Calls++;
                var found = await FanOutValuesAsync(stream, fanOut, answers, conversation, cancellationToken);
                cache.Put(conversation.ExternalId, version, found);
                values = JsonSerializer.SerializeToElement(found);
            }
            else
            {
                poll.Cached++;
            }

            overlays[i].Add(new RestOverlay(cached, values.Value));
            var complete = mapper.Conversation(records[i], overlays[i])!;
            Remember(complete.ExternalId, complete.Channel);
            conversations.Add(complete);
            surveys.AddRange(CachedSurveys(values.Value)); // again on a cache hit: a page that failed after the call loses none
        }

        RestStreamCursor? resume = null;
        if (left is { } first)
        {
            // Read again from the oldest update left (a millisecond before it: a strict filter reads it too); the
            // conversations done that the read brings again are cache hits, applied as no change.
            var oldest = records.Skip(first).Select(r => stream.Incremental!.CursorField.First(r) is { } e ? RestValues.Time(RestValues.Text(e)) : null)
                .OfType<DateTimeOffset>().Select(t => t.ToUnixTimeMilliseconds() - 1).DefaultIfEmpty(position.Since).Min();
            resume = new RestStreamCursor { Since = Math.Max(position.Since, oldest) };
            poll.Left = records.Count - first;
            poll.ResumeAt = DateTimeOffset.FromUnixTimeMilliseconds(resume.Since);
        }

        var readUpTo = conversations.Count == 0 ? (DateTimeOffset?)null : conversations.Max(c => c.UpdatedAt);
        return (new SourceBatch { Conversations = conversations, Surveys = surveys, Cursor = "", ReadUpTo = readUpTo }, resume);
    }

    /// <summary>Logs the poll's use of a stream's fan-out budget, and what waits for the next poll.</summary>
    private void LogFanOut(RestStream stream, FanOutPoll? poll)
    {
        if (poll is null)
        {
            return;
        }

        if (poll.ResumeAt is { } at)
        {
            Log.FanOutSpent(_logger, Name, stream.Name, poll.Calls, poll.Budget, poll.Cached, poll.Left, at);
        }
        else
        {
            Log.FanOutDone(_logger, Name, stream.Name, poll.Calls, poll.Budget, poll.Cached);
        }
    }

    /// <summary>One call for the conversation; its fields' final values (a 404, a conversation gone since: none).</summary>
    private async Task<JsonObject> FanOutValuesAsync(RestStream stream, RestFanOut fanOut, RestMapper answers, Conversation conversation, CancellationToken cancellationToken)
    {
        RestRequest Build()
        {
            var request = new RestRequest(Render(fanOut.Path.Replace(RestFanOut.IdVariable, Uri.EscapeDataString(conversation.ExternalId), StringComparison.Ordinal), _settings.Variables, null, null));
            foreach (var (name, value) in fanOut.Query)
            {
                request.AddQueryParameter(name, Render(value, _settings.Variables, null, null).Replace(RestFanOut.IdVariable, conversation.ExternalId, StringComparison.Ordinal));
            }

            return request;
        }

        var values = new JsonObject();
        var response = await SendAsync(Build, _streamBudgets.GetValueOrDefault(stream.Name), notFound: true, cancellationToken);
        if (response is null)
        {
            return values;
        }

        using var document = Parse(response, FanOutStream(stream, fanOut.Fields));
        foreach (var name in fanOut.Fields.Keys)
        {
            // A timestamp is kept with its add_minutes applied, so the cached value is the final one.
            var value = fanOut.Fields[name].AddMinutes is not null
                ? answers.Time(document.RootElement, name, conversation.Status)?.ToString("O", System.Globalization.CultureInfo.InvariantCulture)
                : answers.Value(document.RootElement, name, conversation.Status);
            if (value is not null)
            {
                values[name] = value;
            }
        }

        if (fanOut.Surveys is { } surveys)
        {
            var mapper = new RestMapper(Name, FanOutStream(stream, surveys.Fields) with { Record = "survey" }, _settings.Maps);
            var found = new JsonArray();
            foreach (var element in surveys.Selector.Select(document.RootElement))
            {
                if (mapper.Survey(element, conversation.Channel) is { } survey)
                {
                    found.Add(JsonSerializer.SerializeToNode(survey with { ConversationId = survey.ConversationId ?? conversation.ExternalId }));
                }
            }

            values[SurveysKey] = found;
        }

        return values;
    }

    /// <summary>The cache entry's key for the survey answers; not a field name (those never start with an underscore).</summary>
    private const string SurveysKey = "_surveys";

    private static IEnumerable<SurveyResponse> CachedSurveys(JsonElement values) =>
        values.TryGetProperty(SurveysKey, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(e => e.Deserialize<SurveyResponse>()).OfType<SurveyResponse>()
            : [];

    private RestFanOutCache FanOutCache(RestStream stream, RestFanOut fanOut)
    {
        if (!_fanOutCaches.TryGetValue(stream.Name, out var cache))
        {
            _fanOutCaches[stream.Name] = cache = new RestFanOutCache(_fanOutState, Name, stream.Name, fanOut.Digest);
        }

        return cache;
    }

    private static RestStream FanOutStream(RestStream stream, IReadOnlyDictionary<string, RestField> fields) => new()
    {
        Name = $"{stream.Name} fan_out",
        Record = stream.Record,
        Path = stream.FanOut!.Path,
        Selector = stream.Selector,
        Paginator = new RestPaginator(),
        Fields = fields,
        SetsWatermark = false,
    };

    /// <summary>One poll's use of one stream's fan-out budget.</summary>
    private sealed class FanOutPoll(int budget)
    {
        public int Budget { get; } = budget;

        public int Calls { get; set; }

        public int Cached { get; set; }

        /// <summary>Records of the last page left for the next poll.</summary>
        public int Left { get; set; }

        /// <summary>Where the next poll resumes, when the budget ran out.</summary>
        public DateTimeOffset? ResumeAt { get; set; }
    }
}
