namespace KpiCollector.Configuration;

/// <summary>
/// Everything under the <c>KpiCollector</c> configuration section (appsettings.json, or environment variables
/// such as <c>KPICOLLECTOR__SOURCES__0__NAME</c>). Durations are written as <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>7d</c>.
/// Validated at start by <see cref="KpiCollectorOptionsValidator"/>.
/// </summary>
public sealed class KpiCollectorOptions
{
    public const string SectionName = "KpiCollector";

    /// <summary>KPI windows (the <c>window</c> label). Default <c>1h, 24h, 7d, 30d</c>. A comma-separated string is accepted too.</summary>
    public List<string> Windows { get; set; } = [];

    /// <summary>Window granularity: an event leaves a window one bucket at a time. Default <c>1m</c>.</summary>
    public string BucketWidth { get; set; } = "1m";

    /// <summary>How often the KPI gauges are recomputed from the engine. Default <c>15s</c>.</summary>
    public string RefreshInterval { get; set; } = "15s";

    public StoreOptions Store { get; set; } = new();

    /// <summary>How replicas on PostgreSQL share the sources (docs/scaling.md); unused on SQLite.</summary>
    public LeaseOptions Leases { get; set; } = new();

    /// <summary>The platform accounts to poll. Empty: demo mode on the built-in simulator.</summary>
    public List<SourceOptions> Sources { get; set; } = [];

    /// <summary>The traffic model used in demo mode and by sources of platform <c>simulator</c>.</summary>
    public SimulatorSettings Simulator { get; set; } = new();

    public SurveyOptions Surveys { get; set; } = new();

    public SlaOptions Sla { get; set; } = new();

    public KpiOptions Kpis { get; set; } = new();

    public StaffingOptions Staffing { get; set; } = new();

    public CostOptions Costs { get; set; } = new();

    /// <summary>Granularity of windows longer than a day. Default <c>10m</c>.</summary>
    public string CoarseBucketWidth { get; set; } = "10m";

    /// <summary>True when no source is configured and the collector runs on simulated data.</summary>
    public bool DemoMode => Sources.Count == 0;
}

public sealed class StoreOptions
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>
    /// Where the store lives: <c>sqlite</c> (default: one file, one process) or <c>postgres</c> (one database shared by
    /// replicas, docs/scaling.md). See docs/storage.md.
    /// </summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>The SQLite file; relative paths are relative to the working directory. Default <c>data/kpicollector.db</c>.</summary>
    public string Path { get; set; } = "data/kpicollector.db";

    /// <summary>
    /// PostgreSQL's connection string (<c>Host=...;Database=...;Username=...;Password=...</c>). With a password it comes
    /// from the environment (<c>KPICOLLECTOR__STORE__CONNECTIONSTRING</c>) or from <see cref="ConnectionStringFile"/>,
    /// never from a settings file or the command line.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>A file holding the connection string (a mounted secret).</summary>
    public string? ConnectionStringFile { get; set; }

    public bool IsPostgres => string.Equals(Provider?.Trim(), Postgres, StringComparison.OrdinalIgnoreCase);

    /// <summary>The connection string in effect: the file's content when a file is named.</summary>
    public string? EffectiveConnectionString =>
        !string.IsNullOrWhiteSpace(ConnectionStringFile) && File.Exists(ConnectionStringFile) ? File.ReadAllText(ConnectionStringFile).Trim() : ConnectionString;
}

public sealed class LeaseOptions
{
    /// <summary>
    /// How long a source's lease lasts without renewal: a replica that dies (kill -9, network cut) loses its sources
    /// this long after its last renewal, and another takes them over. Renewed every third of it. Default <c>15s</c>.
    /// </summary>
    public string Duration { get; set; } = "15s";

    /// <summary>This replica's id, unique among the replicas (the pod name in Kubernetes). Default: host name and process id.</summary>
    public string? ReplicaId { get; set; }

    /// <summary>The replica id in effect.</summary>
    public string EffectiveReplicaId => string.IsNullOrWhiteSpace(ReplicaId) ? $"{Environment.MachineName}-{Environment.ProcessId}" : ReplicaId.Trim();
}

public sealed class SurveyOptions
{
    /// <summary>CSAT scores at or above this are satisfied. Default: the top two points of each response's scale.</summary>
    public double? CsatSatisfiedThreshold { get; set; }

    /// <summary>The CES scale scores are reported on. Default 1 to 7.</summary>
    public double CesScaleMin { get; set; } = 1;

    public double CesScaleMax { get; set; } = 7;

    /// <summary>True (default) when a low CES score means low effort.</summary>
    public bool CesLowIsEasy { get; set; } = true;
}
