using System.Data.Common;
using KpiCollector.Core.Sla;
using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

internal static class SlaRows
{
    public static SlaOutcome Read(DbDataReader r) => new()
    {
        Policy = r.GetString(0),
        Source = r.GetString(1),
        ConversationId = r.GetString(2),
        Start = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
        Met = r.GetInt64(4) != 0,
        DecidedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        Channel = r.GetString(6),
        Team = r.IsDBNull(7) ? null : r.GetString(7),
    };
}
