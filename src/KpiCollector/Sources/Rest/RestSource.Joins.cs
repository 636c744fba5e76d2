using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// The joins of a conversation stream (docs/profiles.md, "Joins"): before a page commits, its conversation ids go in
/// batches to each join's endpoint (and its pages); the joined records override the conversations' fields. Any failed
/// join request fails the page, so nothing of it is applied and the cursor stays.
/// </summary>
public sealed partial class RestSource
{
    /// <summary>A join that pages further than this is refused: its paginator does not stop.</summary>
    private const int JoinPageLimit = 1000;

    /// <summary>The page's conversations, each with what the stream's joins found for it.</summary>
    private async Task<List<Conversation>> ConversationsAsync(RestStream stream, RestMapper mapper, List<JsonElement> records, CancellationToken cancellationToken)
    {
        var overlays = await JoinAsync(stream, records, cancellationToken);
        var conversations = new List<Conversation>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            if (mapper.Conversation(records[i], overlays[i]) is { } c)
            {
                conversations.Add(c);
            }
        }

        return conversations;
    }

    /// <summary>Per record of the page, the joined records that belong to it (in the order of the stream's joins).</summary>
    private async Task<List<RestOverlay>[]> JoinAsync(RestStream stream, List<JsonElement> records, CancellationToken cancellationToken)
    {
        var overlays = records.Select(_ => new List<RestOverlay>()).ToArray();
        foreach (var join in stream.Joins)
        {
            var keys = records.Select(r => join.IdsPath.First(r) is { } e ? RestValues.Text(e) : null).ToList();
            var found = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var batch in keys.OfType<string>().Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).Chunk(join.Batch))
            {
                await JoinBatchAsync(stream, join, batch, found, cancellationToken);
            }

            var mapper = new RestMapper(Name, JoinStream(stream, join, join.Path, join.Query), _settings.Maps);
            for (var i = 0; i < records.Count; i++)
            {
                if (keys[i] is { } key && found.TryGetValue(key, out var joined))
                {
                    overlays[i].Add(new RestOverlay(mapper, joined));
                }
            }
        }

        return overlays;
    }

    /// <summary>One batch of ids: its request and the pages after it; each joined record kept under the id it names.</summary>
    private async Task JoinBatchAsync(RestStream stream, RestJoin join, string[] ids, Dictionary<string, JsonElement> found, CancellationToken cancellationToken)
    {
        var path = Render(join.Path.Replace(RestJoin.IdsVariable, string.Join(join.Separator, ids.Select(Uri.EscapeDataString)), StringComparison.Ordinal), _settings.Variables, null, null);
        var query = join.Query.ToDictionary(
            kv => kv.Key,
            kv => Render(kv.Value, _settings.Variables, null, null).Replace(RestJoin.IdsVariable, string.Join(join.Separator, ids), StringComparison.Ordinal));
        var request = JoinStream(stream, join, path, query);
        var position = new RestStreamCursor();
        for (var page = 1; ; page++)
        {
            var response = await SendAsync(() => Request(request, position), _streamBudgets.GetValueOrDefault(stream.Name), notFound: false, cancellationToken);
            using var document = Parse(response!, request);
            var records = join.Selector.Select(document.RootElement)
                .SelectMany(e => join.Selector.IsMulti || e.ValueKind != JsonValueKind.Array ? [e] : e.EnumerateArray().ToArray()).ToList();
            foreach (var record in records)
            {
                if (join.On.First(record) is { } on && RestValues.Text(on) is { Length: > 0 } id && (join.Pick == "last" || !found.ContainsKey(id)))
                {
                    found[id] = record.Clone();
                }
            }

            var (more, next) = Next(request, position, records.Count, document.RootElement, response!);
            if (!more)
            {
                return;
            }

            if (page >= JoinPageLimit)
            {
                throw new SourceException(ErrorReasons.Other, $"stream {stream.Name} join {join.Name}: more than {JoinPageLimit} pages for one batch of {ids.Length} ids; check its paginator ({_profile.File})");
            }

            position = next;
        }
    }

    /// <summary>The stream's fields, its joins' and its fan-out's: every place a conversation field may come from.</summary>
    private static IEnumerable<IReadOnlyDictionary<string, RestField>> FieldSets(RestStream stream) =>
        [stream.Fields, .. stream.Joins.Select(j => j.Fields), .. stream.FanOut is { } f ? [f.Fields] : Array.Empty<IReadOnlyDictionary<string, RestField>>()];

    /// <summary>The join as a stream of its own: what <see cref="Request"/>, <see cref="Next"/> and the mapper read.</summary>
    private static RestStream JoinStream(RestStream stream, RestJoin join, string path, IReadOnlyDictionary<string, string> query) => new()
    {
        Name = $"{stream.Name} join {join.Name}",
        Record = stream.Record,
        Path = path,
        Query = query,
        Selector = join.Selector,
        Paginator = join.Paginator,
        Fields = join.Fields,
        SetsWatermark = false,
    };
}
