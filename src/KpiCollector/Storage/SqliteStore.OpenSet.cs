using KpiCollector.Core.Records;

namespace KpiCollector.Storage;

public sealed partial class SqliteStore : IOpenConversations
{
    /// <summary>The conversations of <paramref name="source"/> whose stored version counts towards the backlog (not solved, not closed).</summary>
    public IReadOnlyDictionary<string, Conversation> OpenConversations(string source)
    {
        lock (_gate)
        {
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = $"SELECT {ConversationRows.Columns} FROM conversations WHERE source = $source AND status NOT IN ($solved, $closed);";
            cmd.Parameters.AddWithValue("$source", source);
            cmd.Parameters.AddWithValue("$solved", (int)ConversationStatus.Solved);
            cmd.Parameters.AddWithValue("$closed", (int)ConversationStatus.Closed);
            using var r = cmd.ExecuteReader();
            var open = new Dictionary<string, Conversation>(StringComparer.Ordinal);
            while (r.Read())
            {
                var c = ConversationRows.Read(r);
                open[c.ExternalId] = c;
            }

            return open;
        }
    }
}
