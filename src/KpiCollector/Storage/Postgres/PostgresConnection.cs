using Npgsql;

namespace KpiCollector.Storage.Postgres;

/// <summary>The connection string's checks and its printable form (never with the password).</summary>
public static class PostgresConnection
{
    /// <summary>Null when the connection string parses and names a host; otherwise what is wrong (never echoing it).</summary>
    public static string? Check(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "the connection string is empty.";
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrWhiteSpace(builder.Host)
                ? "the connection string names no Host (e.g. Host=db.example;Database=kpicollector;Username=kpicollector)."
                : null;
        }
        catch (ArgumentException)
        {
            return "the connection string does not parse (expected Key=value pairs separated by ';', e.g. Host=db.example;Database=kpicollector;Username=kpicollector).";
        }
    }

    public static bool HasPassword(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }

        try
        {
            return !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionString).Password);
        }
        catch (ArgumentException)
        {
            return connectionString.Contains("password", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>"postgres://host:port/database (user U)": for logs and errors.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgres://{b.Host}:{b.Port}/{b.Database ?? b.Username} (user {b.Username})";
    }

    /// <summary>A pooled data source for the store and the leases.</summary>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The collector's own name in pg_stat_activity, unless the operator gave one.
            ApplicationName = new NpgsqlConnectionStringBuilder(connectionString).ApplicationName ?? "kpicollector",
        };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }
}
