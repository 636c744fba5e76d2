using KpiCollector.Sources.Rest;

namespace KpiCollector.Storage;

/// <summary>
/// The REST connector's durable key-value state (<see cref="IRestState"/>): its own table, created lazily on first use,
/// so <see cref="Open"/> needs no change.
/// </summary>
public sealed partial class SqliteStore : IRestState
{
    private bool _restStateReady;

    public string? Get(string source, string key)
    {
        lock (_gate)
        {
            EnsureRestState();
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "SELECT value FROM rest_state WHERE source = $source AND key = $key;";
            cmd.Parameters.AddWithValue("$source", source);
            cmd.Parameters.AddWithValue("$key", key);
            return cmd.ExecuteScalar() as string;
        }
    }

    public void Set(string source, string key, string value)
    {
        lock (_gate)
        {
            EnsureRestState();
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "INSERT INTO rest_state (source, key, value) VALUES ($source, $key, $value) ON CONFLICT (source, key) DO UPDATE SET value = excluded.value;";
            cmd.Parameters.AddWithValue("$source", source);
            cmd.Parameters.AddWithValue("$key", key);
            cmd.Parameters.AddWithValue("$value", value);
            cmd.ExecuteNonQuery();
        }
    }

    private void EnsureRestState()
    {
        if (_restStateReady)
        {
            return;
        }

        using var cmd = Connection.CreateCommand();
        cmd.CommandText = "CREATE TABLE IF NOT EXISTS rest_state (source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (source, key));";
        cmd.ExecuteNonQuery();
        _restStateReady = true;
    }
}
