using KpiCollector.Configuration;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Sla;
using KpiCollector.Pipeline;
using KpiCollector.Endpoints;
using KpiCollector.Jobs;
using KpiCollector.Metrics;
using KpiCollector.Sources;
using KpiCollector.Sources.Http;
using KpiCollector.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;
using Quartz;

namespace KpiCollector.Hosting;

/// <summary>Composes the collector: options, store, engine, sources, Quartz jobs, metrics and endpoints.</summary>
public static class KpiCollectorApp
{
    /// <summary>The listen address when neither ASPNETCORE_URLS nor --urls says otherwise.</summary>
    public const string DefaultUrls = "http://0.0.0.0:9470";

    /// <summary>How much of a request Kestrel buffers ahead of its handler.</summary>
    public const long MaxRequestBufferBytes = 64 * 1024;

    /// <param name="args">Command-line arguments; any configuration key can be given as <c>--Key=value</c>.</param>
    /// <param name="configureServices">Lets tests replace services (e.g. the source factory) before the build.</param>
    /// <param name="settings">
    /// Configuration given in memory, over every other source: how an embedding program (a test, a benchmark) passes
    /// secrets, which the command line may not carry.
    /// </param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var builder = CreateBuilder(args, settings);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }

        // Kestrel reads at most this much of a connection ahead of its handler (1 MiB by default, in the socket
        // transport and in Kestrel's own limit): a webhook waiting for a body slot holds 64 KiB, not a megabyte, of
        // what its sender pushes (docs/performance.md, "Webhooks under attack").
        builder.WebHost.UseSockets(sockets => sockets.MaxReadBufferSize = MaxRequestBufferBytes);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBufferSize = MaxRequestBufferBytes);

        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
        RedactingLoggerProvider.WrapAll(builder.Services); // no query-string secret in any log line, at any level

        var services = builder.Services;
        services.AddBuiltInPlatforms();
        services.AddKpiCollectorOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISourceFactory, SourceFactory>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KpiCollectorOptions>>().Value;
            var registry = new SourceRegistry(sp.GetRequiredService<ISourceFactory>().Create(options), options.DemoMode);
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
            foreach (var status in registry.Statuses)
            {
                status.PollInterval = PollSchedule.IntervalOf(options.Sources.FirstOrDefault(s => s.Name == status.Name), now);
            }

            return registry;
        });
        var replicated = string.Equals(builder.Configuration["KpiCollector:Store:Provider"]?.Trim(), StoreOptions.Postgres, StringComparison.OrdinalIgnoreCase);
        if (replicated)
        {
            // PostgreSQL: replicas share the sources through leases on the same database (docs/scaling.md).
            services.AddSingleton(sp => new Storage.Postgres.PostgresStore(
                sp.GetRequiredService<IOptions<KpiCollectorOptions>>(), sp.GetRequiredService<ILogger<Storage.Postgres.PostgresStore>>(), sp.GetRequiredService<ISourceFences>()));
            services.AddSingleton<IStore>(sp => sp.GetRequiredService<Storage.Postgres.PostgresStore>());
            services.AddSingleton<Replication.PostgresLeases>();
            services.AddSingleton<Replication.ISourceOwnership>(sp => sp.GetRequiredService<Replication.PostgresLeases>());
        }
        else
        {
            services.AddSingleton<SqliteStore>();
            services.AddSingleton<IStore>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<Replication.ISourceOwnership, Replication.SingleProcessOwnership>();
        }

        services.AddSingleton<IOpenConversations>(sp => sp.GetRequiredService<IStore>());
        services.AddSingleton<ISourceFences>(sp => sp.GetRequiredService<Replication.ISourceOwnership>());
        services.AddSingleton(sp => new KpiEngine(
            sp.GetRequiredService<IOptions<KpiCollectorOptions>>().Value.ToEngineOptions(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new SlaEvaluator(sp.GetRequiredService<IOptions<KpiCollectorOptions>>().Value.ToSlaPolicies()));
        services.AddSingleton<LiveObservations>();
        services.AddSingleton<IngestPipeline>();
        services.AddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PrometheusExporter>(sp).WithSourceMetrics(sp.GetRequiredService<CollectorRegistry>()));
        services.AddSingleton<KpiRefresher>();
        services.AddSingleton<SourcePoller>();
        services.AddSingleton<TicketLinks>();
        services.AddSingleton<Drilldown>();

        // Order matters: the store is open and the engine rebuilt before any job is scheduled or runs.
        services.AddHostedService<StartupService>();
        services.AddHostedService<ScheduleJobsService>();
        services.AddQuartz(q =>
        {
            // Unique per host: Quartz keeps schedulers in a process-wide repository by name.
            q.SchedulerName = $"kpicollector-{Guid.NewGuid():N}";
            q.SchedulerId = "AUTO";
            q.UseInMemoryStore();
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = 8);
        });
        services.AddQuartzHostedService(o =>
        {
            o.WaitForJobsToComplete = true; // at SIGTERM, a running poll finishes its page or is cancelled cleanly
            o.AwaitApplicationStarted = true;
        });
        if (replicated)
        {
            // After the store is open and the jobs exist; stopped first, so the sources are handed over before Quartz stops.
            services.AddHostedService(sp => sp.GetRequiredService<Replication.PostgresLeases>());
        }

        configureServices?.Invoke(services);
        var app = builder.Build();

        // Quartz logs through a process-wide provider; point it at this host's logger factory explicitly, or it would
        // keep the factory of an earlier host in the same process (tests) after that host was disposed.
        Quartz.Logging.LogContext.SetCurrentLogProvider(app.Services.GetRequiredService<ILoggerFactory>());
        app.MapKpiCollectorEndpoints();
        return app;
    }

    /// <summary>
    /// The host builder with the collector's configuration: appsettings.json from beside the binary, wherever the
    /// process is started from (relative paths in it, such as the store, stay relative to the working directory), then
    /// environment variables, then the command line. The start and the <c>check</c> commands read it the same way.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        return builder;
    }

    /// <summary>
    /// Binds and validates the <c>KpiCollector</c> section exactly as the start does (the same registration, the same
    /// validator, the same platforms), without opening the store or building a source.
    /// </summary>
    /// <exception cref="OptionsValidationException">Every problem found, each naming its key.</exception>
    public static (KpiCollectorOptions Options, PlatformCatalog Platforms) LoadOptions(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddBuiltInPlatforms();
        services.AddKpiCollectorOptions();
        using var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IOptions<KpiCollectorOptions>>().Value, provider.GetRequiredService<PlatformCatalog>());
    }

    /// <summary>The failures of invalid configuration, one per line, as the start logs them and <c>check config</c> prints them.</summary>
    public static string FormatFailures(OptionsValidationException exception) =>
        string.Join("\n", exception.Failures.Select(f => "  - " + f));

    /// <summary>Runs until SIGTERM/Ctrl-C. Returns the process exit code: 0 after a clean stop, 2 for invalid configuration, 1 for any other start failure.</summary>
    public static async Task<int> RunAsync(WebApplication app)
    {
        // Disposing the host flushes the console logger's queue, so the last lines (the reason a start failed) are
        // written before the process exits, however fast it exits.
        await using (app)
        {
            return await RunHostAsync(app);
        }
    }

    private static async Task<int> RunHostAsync(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KpiCollector");
        try
        {
            // Validated here, before the host starts: an invalid configuration then ends with its clean message only,
            // not with the host's "Hosting failed to start" error and its stack trace first.
            _ = app.Services.GetRequiredService<IOptions<KpiCollectorOptions>>().Value;
            _ = app.Services.GetRequiredService<SourceRegistry>();
        }
        catch (OptionsValidationException ex)
        {
            Log.InvalidConfiguration(logger, FormatFailures(ex));
            return 2;
        }
        catch (IOException ex)
        {
            Log.StartFailed(logger, ex.Message, ex);
            return 1;
        }

        try
        {
            // Opened here too (StartupService's open is then a no-op), for the same reason: a store that cannot be
            // opened (not a database, permission denied) ends the start with its message naming the file, exit 1.
            app.Services.GetRequiredService<IStore>().Open();
        }
        catch (InvalidOperationException ex)
        {
            Log.StoreUnavailable(logger, ex.Message);
            return 1;
        }

        try
        {
            await app.RunAsync();
            Log.Stopped(logger, PrometheusExporter.Version);
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            Log.InvalidConfiguration(logger, FormatFailures(ex));
            return 2;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            Log.StartFailed(logger, ex.Message, ex);
            return 1;
        }
    }

    private static void MapKpiCollectorEndpoints(this WebApplication app)
    {
        app.MapMetrics("/metrics", app.Services.GetRequiredService<CollectorRegistry>());
        app.MapHealthEndpoints();
        app.MapLandingPage();
        app.MapDrilldownEndpoints();
        app.MapExportEndpoints();
        foreach (var platform in app.Services.GetServices<SourcePlatform>())
        {
            platform.MapEndpoints(app);
        }
    }
}
