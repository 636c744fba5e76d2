using KpiCollector.Core.Time;
using KpiCollector.Simulator.Faces;
using KpiCollector.Simulator.Faces.Bitrix24;
using KpiCollector.Simulator.Faces.Chatwoot;
using KpiCollector.Simulator.Faces.CmCom;
using KpiCollector.Simulator.Faces.EDesk;
using KpiCollector.Simulator.Faces.Freshdesk;
using KpiCollector.Simulator.Faces.HelpDesk;
using KpiCollector.Simulator.Faces.Interakt;
using KpiCollector.Simulator.Faces.LiveAgent;
using KpiCollector.Simulator.Faces.ServiceNow;
using KpiCollector.Simulator.Faces.SuperOffice;
using KpiCollector.Simulator.Faces.Trengo;
using KpiCollector.Simulator.Faces.WhatsApp;
using KpiCollector.Simulator.Faces.Zendesk;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KpiCollector.Simulator;

/// <summary>
/// The simulator as an HTTP server: the platform API faces over the deterministic traffic model, plus a fault
/// control endpoint. Listens on <see cref="DefaultUrls"/> unless told otherwise.
/// </summary>
public static class SimulatorApp
{
    /// <summary>Port 9471: next to the collector's 9470, clear of Prometheus 9090, Alertmanager 9093 and Grafana 3000.</summary>
    public const string DefaultUrls = "http://127.0.0.1:9471";

    /// <param name="args">Command-line arguments; any key as <c>--Simulator:Seed=7</c>, and <c>--urls</c>.</param>
    /// <param name="configureServices">Lets tests replace services (the clock) before the build.</param>
    /// <exception cref="InvalidOperationException">The <c>Simulator</c> options are invalid; the message names every bad key.</exception>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }

        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // no appsettings.json here: a request log line per API call is noise

        var options = builder.Configuration.GetSection(SimulatorAppOptions.SectionName).Get<SimulatorAppOptions>() ?? new SimulatorAppOptions();
        if (options.Validate() is { Count: > 0 } failures)
        {
            throw new InvalidOperationException("Invalid simulator configuration:\n" + string.Join("\n", failures.Select(f => "  - " + f)));
        }

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => new SimulationClock(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var epoch = time.GetUtcNow() - Durations.Parse(options.Backfill);
            return new SimulatedEpoch(epoch);
        });
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), ZendeskFace.ExportLag,
                csatAnswersUpdate: options.Zendesk.Csat == ZendeskFaceOptions.CsatLegacy);
            return new ZendeskFace(helpdesk, options.Zendesk, time, sp.GetRequiredService<ILogger<ZendeskFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<ZendeskFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), FreshdeskFace.Lag);
            return new FreshdeskFace(helpdesk, options.Freshdesk, time, sp.GetRequiredService<ILogger<FreshdeskFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<FreshdeskFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), ChatwootFace.Lag);
            return new ChatwootFace(helpdesk, options.Chatwoot, time, sp.GetRequiredService<ILogger<ChatwootFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<ChatwootFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), SuperOfficeFace.Lag);
            return new SuperOfficeFace(helpdesk, options.SuperOffice, sp.GetRequiredService<ILogger<SuperOfficeFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<SuperOfficeFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), CmComFace.Lag);
            return new CmComFace(helpdesk, options.CmCom, sp.GetRequiredService<ILogger<CmComFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<CmComFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), ServiceNowFace.Lag);
            return new ServiceNowFace(helpdesk, options.ServiceNow, sp.GetRequiredService<ILogger<ServiceNowFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<ServiceNowFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), LiveAgentFace.Lag, csatAnswersUpdate: true);
            return new LiveAgentFace(helpdesk, options.LiveAgent, sp.GetRequiredService<ILogger<LiveAgentFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<LiveAgentFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), EDeskFace.Lag);
            return new EDeskFace(helpdesk, options.EDesk, time, sp.GetRequiredService<ILogger<EDeskFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<EDeskFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), HelpDeskFace.Lag);
            return new HelpDeskFace(helpdesk, options.HelpDesk, sp.GetRequiredService<ILogger<HelpDeskFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<HelpDeskFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), TrengoFace.Lag);
            return new TrengoFace(helpdesk, options.Trengo, time, sp.GetRequiredService<ILogger<TrengoFace>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<TrengoFace>());
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var helpdesk = new SimulatedHelpdesk(options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), Bitrix24Face.Lag, csatAnswersUpdate: true);
            return new Bitrix24Face(helpdesk, options.Bitrix24, time, sp.GetRequiredService<ILogger<Bitrix24Face>>());
        });
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<Bitrix24Face>());
        services.AddSingleton(sp => new SimulatedWhatsApp(
            options.ToModel(), sp.GetRequiredService<SimulatedEpoch>().At, sp.GetRequiredService<SimulationClock>(), WhatsAppFace.Lag));
        services.AddSingleton(sp => new WhatsAppFace(
            sp.GetRequiredService<SimulatedWhatsApp>(), options.WhatsApp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WhatsAppFace>>()));
        services.AddSingleton<IFace>(sp => sp.GetRequiredService<WhatsAppFace>());
        services.AddSingleton(sp => new WhatsAppWebhookPoster(
            sp.GetRequiredService<SimulatedWhatsApp>(), options.WhatsApp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WhatsAppWebhookPoster>>()));
        services.AddHostedService(sp => sp.GetRequiredService<WhatsAppWebhookPoster>());
        services.AddSingleton(sp => new InteraktWebhookPoster(
            sp.GetRequiredService<SimulatedWhatsApp>(), options.Interakt, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<InteraktWebhookPoster>>()));
        services.AddHostedService(sp => sp.GetRequiredService<InteraktWebhookPoster>());
        configureServices?.Invoke(services);

        var app = builder.Build();
        app.UseTenantRouting();
        var faces = app.Services.GetServices<IFace>().ToList();
        foreach (var face in faces)
        {
            face.Map(app);
        }

        app.MapFaultControl(faces);
        app.Services.GetRequiredService<WhatsAppWebhookPoster>().Map(app);
        app.Services.GetRequiredService<InteraktWebhookPoster>().Map(app);
        app.MapGet("/", () => Results.Text(
            "KpiCollector simulator: simulated helpdesk platform APIs.\n"
            + string.Concat(faces.Where(f => f is not WhatsAppFace).Select(f => $"  /{f.Name}/{f switch { CmComFace => "odata", HelpDeskFace or EDeskFace => "v1", Bitrix24Face => "rest/{user}/{code}", _ => "api" }}/...  (base URL for the collector: http://<this host>/{f.Name})\n"))
            + "  /whatsapp/{version}/{wabaId}?fields=...  (Graph API; base URL for the collector: http://<this host>/whatsapp)\n"
            + "  /_sim/faults/{face}  GET: state; POST ?kind=&count=&retryAfter=&delay=&status=: arm; DELETE: clear\n"
            + "  /_sim/whatsapp/webhook  GET: counters; PUT {\"url\",\"appSecret\",\"verifyToken\"}: handshake, then post WhatsApp webhooks there; DELETE: stop\n"
            + "  /_sim/interakt/webhook  GET: counters; PUT {\"url\",\"secretKey\"}: post the WhatsApp traffic there as Interakt webhooks; DELETE: stop; POST /faults?kind=malformed|burst&count=\n"
            + "  /t/{tenant}/{face}/...  the same face, counted per tenant (GET /_sim/tenants: requests, overlapping ones)\n"
            + "  /_sim/clock  GET: the simulated time; POST /pause: stop the simulated traffic at this instant; POST /resume\n"
            + "  /healthz\n"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        var clock = app.Services.GetRequiredService<SimulationClock>();
        app.MapGet("/_sim/clock", () => Results.Json(new { now = clock.GetUtcNow(), pausedAt = clock.PausedAt }));
        app.MapPost("/_sim/clock/pause", () => Results.Json(new { pausedAt = clock.Pause() }));
        app.MapPost("/_sim/clock/resume", () =>
        {
            clock.Resume();
            return Results.Json(new { now = clock.GetUtcNow() });
        });
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KpiCollector.Simulator");
            Log.Started(logger, app.Services.GetRequiredService<SimulatedEpoch>().At, options.Seed, string.Join(", ", faces.Select(f => f.Name)));
            _ = Task.Run(() => faces.ForEach(f => f.CatchUp())); // warm up, so the first request is not the slow one
        });
        return app;
    }

    /// <summary>
    /// <c>/_sim/faults/{face}</c>: GET the queue and counters; POST <c>?kind=rate_limit|server_error|slow|malformed|expired_token</c>
    /// with <c>count</c> (default 1, -1 until cleared), <c>retryAfter</c> and <c>delay</c> (seconds), <c>status</c> (5xx);
    /// DELETE clears it.
    /// </summary>
    private static void MapFaultControl(this WebApplication app, List<IFace> faces)
    {
        var byName = faces.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KpiCollector.Simulator.Faults");
        app.MapGet("/_sim/faults", () => Results.Json(faces.ToDictionary(f => f.Name, f => f.Faults.Describe())));
        app.MapGet("/_sim/faults/{face}", (string face) =>
            byName.TryGetValue(face, out var f) ? Results.Json(f.Faults.Describe()) : UnknownFace(face, byName));
        app.MapDelete("/_sim/faults/{face}", (string face) =>
        {
            if (!byName.TryGetValue(face, out var f))
            {
                return UnknownFace(face, byName);
            }

            f.Faults.Clear();
            Log.FaultsCleared(logger, f.Name);
            return Results.Json(f.Faults.Describe());
        });
        app.MapPost("/_sim/faults/{face}", (string face, string? kind, int? count, double? retryAfter, double? delay, int? status) =>
        {
            if (!byName.TryGetValue(face, out var f))
            {
                return UnknownFace(face, byName);
            }

            if (!FaultKinds.TryParse(kind, out var k))
            {
                return Results.BadRequest(new { error = $"kind '{kind}' is unknown; allowed: {string.Join(", ", FaultKinds.Names)}" });
            }

            if (count is 0 or < -1 || status is not (null or (>= 500 and <= 599)) || retryAfter < 0 || delay < 0)
            {
                return Results.BadRequest(new { error = "count must be -1 (until cleared) or at least 1; status 500-599; retryAfter and delay in seconds, not negative" });
            }

            var fault = new Fault(k, count ?? 1, status ?? 500, TimeSpan.FromSeconds(retryAfter ?? 2), TimeSpan.FromSeconds(delay ?? 40));
            f.Faults.Arm(fault);
            Log.FaultArmed(logger, f.Name, FaultKinds.Name(k), fault.Remaining);
            return Results.Json(f.Faults.Describe());
        });
    }

    private static IResult UnknownFace(string face, Dictionary<string, IFace> faces) =>
        Results.NotFound(new { error = $"no face '{face}'; faces: {string.Join(", ", faces.Keys)}" });

    /// <summary>When the simulated traffic starts, shared by every face so they all tell the same story.</summary>
    private sealed record SimulatedEpoch(DateTimeOffset At);
}
