using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// A conversation stream's fan-out (docs/profiles.md, "Fan-out"): one call per changed conversation, within a budget
/// of calls a poll; its fields, read from the whole answer, override the stream's and the joins'.
/// </summary>
public sealed record RestFanOut
{
    /// <summary>The template variable that takes the conversation's external id.</summary>
    public const string IdVariable = "{id}";

    /// <summary>A template with <c>{id}</c> (URL-escaped), or without it when a query value has it.</summary>
    public required string Path { get; init; }

    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>At most this many calls a poll; the rest of the page waits for the next poll.</summary>
    public required int MaxCallsPerPoll { get; init; }

    /// <summary>Conversation fields read from the answer's body.</summary>
    public required IReadOnlyDictionary<string, RestField> Fields { get; init; }

    /// <summary>
    /// Survey answers read from the same answer (ratings a platform keeps among a conversation's messages); null when
    /// the fan-out reads none.
    /// </summary>
    public RestFanOutSurveys? Surveys { get; init; }

    /// <summary>A digest of the definition: values cached for another definition are not reused.</summary>
    public required string Digest { get; init; }

    internal static string DigestOf(string definition) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(definition)))[..12];
}

/// <summary>
/// A fan-out's survey answers: the elements <see cref="Selector"/> finds in the answer, each mapped by the survey fields
/// (<c>conversation_id</c> is the conversation's id and <c>channel</c> its channel unless mapped); an element without
/// a score (a message that is not a rating) is no answer.
/// </summary>
public sealed record RestFanOutSurveys
{
    public required JsonPath Selector { get; init; }

    public required IReadOnlyDictionary<string, RestField> Fields { get; init; }
}

/// <summary>
/// The fan-out's values per conversation and version (<c>updated_at</c>), kept through <see cref="IRestState"/> so they
/// survive a restart. Direct-mapped, so its size is bounded: a conversation's entry lives in one of
/// <see cref="Slots"/> slots (a stable hash of its id), and a later conversation of the same slot replaces it (a
/// later miss costs one call again).
/// </summary>
internal sealed class RestFanOutCache(IRestState state, string source, string stream, string digest)
{
    public const int Slots = 65_536;

    /// <summary>The values cached for this id at this version, as a JSON object of field names to final values.</summary>
    public JsonElement? Get(string id, long version)
    {
        try
        {
            return state.Get(source, Key(id)) is { } text && JsonNode.Parse(text) is JsonObject entry
                && entry["id"]?.GetValue<string>() == id && entry["v"]?.GetValue<long>() == version && entry["f"] is JsonObject values
                ? JsonSerializer.SerializeToElement(values)
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null; // an unreadable entry is a miss: the conversation is fetched again
        }
    }

    public void Put(string id, long version, JsonObject values) =>
        state.Set(source, Key(id), new JsonObject { ["id"] = id, ["v"] = version, ["f"] = values.DeepClone() }.ToJsonString());

    private string Key(string id) => $"fan_out:{stream}:{digest}:{BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(id))) % Slots}";
}
