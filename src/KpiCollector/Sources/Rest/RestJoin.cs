namespace KpiCollector.Sources.Rest;

/// <summary>
/// A join of a conversation stream (docs/profiles.md, "Joins"): for each page, the ids of its conversations are sent
/// in batches to a second endpoint, and the records found there override the conversation's fields.
/// </summary>
public sealed record RestJoin
{
    /// <summary>The template variable that takes the batch's ids, in <see cref="Path"/> or a <see cref="Query"/> value.</summary>
    public const string IdsVariable = "{ids}";

    public required string Name { get; init; }

    /// <summary>A template with <c>{ids}</c> (each id URL-escaped) or without it when a query value has it.</summary>
    public required string Path { get; init; }

    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the id sent for a conversation is read in the stream's record.</summary>
    public required JsonPath IdsPath { get; init; }

    /// <summary>Between the ids of a batch.</summary>
    public string Separator { get; init; } = ",";

    /// <summary>At most this many ids a request.</summary>
    public int Batch { get; init; } = 100;

    public required JsonPath Selector { get; init; }

    public required RestPaginator Paginator { get; init; }

    /// <summary>Where the joined record names the conversation id (as <see cref="IdsPath"/> read it) it belongs to.</summary>
    public required JsonPath On { get; init; }

    /// <summary><c>first</c> or <c>last</c>: which joined record wins when several name one conversation.</summary>
    public string Pick { get; init; } = "first";

    /// <summary>Conversation fields read from the joined record; a present value overrides the stream's.</summary>
    public required IReadOnlyDictionary<string, RestField> Fields { get; init; }
}
