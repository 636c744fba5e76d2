using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;

namespace KpiCollector.Storage;

/// <summary>What both providers do alike with rows: read one or set it aside as damaged, read a conversation with its outcomes, and shape a record as a later read gives it back.</summary>
internal static class StoredRows
{
    /// <summary>
    /// The decided outcomes of a conversation row, as one string: fields split by 0x1f, outcomes by 0x1e (each
    /// provider's query builds it with its own concatenation).
    /// </summary>
    public const char FieldSeparator = '\u001f';

    public const char OutcomeSeparator = '\u001e';

    /// <summary>
    /// The record <paramref name="read"/> makes of the row, or, when it throws, the row set aside: its first
    /// <paramref name="keyColumns"/> values (its key), the reason and every column as JSON (for the quarantine).
    /// </summary>
    public static (T? Record, (object[] Key, string Reason, string Row)? Damaged) TryRead<T>(DbDataReader r, int keyColumns, Func<DbDataReader, T> read)
    {
        try
        {
            return (read(r) ?? throw new JsonException("the stored payload is null"), null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidCastException or InvalidOperationException or FormatException
            or OverflowException or ArgumentException or NotSupportedException)
        {
            var key = new object[keyColumns];
            for (var i = 0; i < key.Length; i++)
            {
                key[i] = r.GetValue(i);
            }

            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < r.FieldCount; i++)
            {
                row[r.GetName(i)] = r.IsDBNull(i) ? null : r.GetValue(i) is byte[] blob ? Convert.ToBase64String(blob) : r.GetValue(i);
            }

            return (default, (key, $"{ex.GetType().Name}: {ex.Message}", JsonSerializer.Serialize(row)));
        }
    }

    /// <summary>A conversation row (<see cref="ConversationRows.Columns"/>) followed by its outcomes column.</summary>
    public static StoredConversation ReadWithOutcomes(DbDataReader r)
    {
        var conversation = ConversationRows.Read(r);
        var column = ConversationRows.ColumnCount;
        if (r.IsDBNull(column))
        {
            return new StoredConversation(conversation, []);
        }

        var outcomes = new List<StoredOutcome>();
        foreach (var outcome in r.GetString(column).Split(OutcomeSeparator))
        {
            var f = outcome.Split(FieldSeparator);
            outcomes.Add(new StoredOutcome(f[0], FromMs(f[1]), f[2] != "0", FromMs(f[3])));
        }

        outcomes.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : string.CompareOrdinal(a.Policy, b.Policy));
        return new StoredConversation(conversation, outcomes);
    }

    /// <summary>A record of the generic table with its source set (and its channel normalized), as stored.</summary>
    public static T WithSource<T>(T record, string source) => record switch
    {
        MessageEvent m => (T)(object)(m with { Source = source, Channel = Channels.Normalize(m.Channel) }),
        AgentActivity a => (T)(object)(a with { Source = source }),
        CostEntry c => (T)(object)(c with { Source = source }),
        CustomerCount c => (T)(object)(c with { Source = source }),
        MessagingUsage u => (T)(object)(u with { Source = source }),
        _ => record,
    };

    /// <summary>An outcome as a read gives it back: its instants to the millisecond.</summary>
    public static SlaOutcome AsStored(SlaOutcome o) => o with
    {
        Start = DateTimeOffset.FromUnixTimeMilliseconds(o.Start.ToUnixTimeMilliseconds()),
        DecidedAt = DateTimeOffset.FromUnixTimeMilliseconds(o.DecidedAt.ToUnixTimeMilliseconds()),
    };

    private static DateTimeOffset FromMs(string unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(unixMs, CultureInfo.InvariantCulture));
}
