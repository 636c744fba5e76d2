using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests;

/// <summary>
/// The shipped routing and inhibitions in a running Alertmanager (Debian's prometheus-alertmanager) on loopback:
/// alerts are posted as Prometheus would, and the webhook receiver records what each receiver gets.
/// </summary>
public sealed class AlertmanagerRoutingTests : IDisposable
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly WebhookReceiver _hooks = new();

    public void Dispose()
    {
        _hooks.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task InBusinessHours_ACriticalAlertPagesTheOnCall_AndDoesNotOpenATicket()
    {
        using var am = await StartAsync(businessHoursNow: true);
        await am.PostAsync(Alert("HelpdeskSlaBreachingNow", "critical", "acme", "whatsapp", "first_response"),
            Alert("KpiCollectorSourceDown", "warning", "beta"));

        await Wait.UntilAsync(() => Task.FromResult(_hooks.AlertsAt("oncall").Any(a => a.Label("alertname") == "HelpdeskSlaBreachingNow")),
            Delivery, "the critical alert at the oncall receiver", _hooks.Describe);
        await Wait.UntilAsync(() => Task.FromResult(_hooks.AlertsAt("ticket-queue").Any(a => a.Label("alertname") == "KpiCollectorSourceDown")),
            Delivery, "the warning at the ticket-queue receiver", _hooks.Describe);
        Assert.DoesNotContain(_hooks.AlertsAt("ticket-queue"), a => a.Label("severity") == "critical");
        Assert.DoesNotContain(_hooks.AlertsAt("oncall"), a => a.Label("severity") != "critical");
    }

    [Fact]
    public async Task OutsideBusinessHours_ACriticalAlertGoesToTheTicketQueue_AndPagesNobody()
    {
        using var am = await StartAsync(businessHoursNow: false);
        var oncallSkipped = am.WatchForInactiveRouteSkip();
        await am.PostAsync(Alert("HelpdeskSlaBreachingNow", "critical", "acme", "whatsapp", "first_response"),
            Alert("KpiCollectorWatchdog", "info", null));

        await Wait.UntilAsync(() => Task.FromResult(_hooks.AlertsAt("ticket-queue").Any(a => a.Label("alertname") == "HelpdeskSlaBreachingNow")),
            Delivery, "the critical alert at the ticket-queue receiver", _hooks.Describe);
        // The watchdog, posted together, reached its own receiver: the oncall route had its chance as well.
        await Wait.UntilAsync(() => Task.FromResult(_hooks.AlertsAt("heartbeat").Any(a => a.Label("alertname") == "KpiCollectorWatchdog")),
            Delivery, "the watchdog at the heartbeat receiver", _hooks.Describe);
        // The oncall route (the only one with active time intervals) reached its turn and sent nothing.
        await oncallSkipped(Delivery);
        Assert.Empty(_hooks.AlertsAt("oncall"));
    }

    [Fact]
    public async Task ACriticalSlaAlert_InhibitsTheWarningOfTheSameSlaSourceAndChannel_OnlyThat()
    {
        using var am = await StartAsync(businessHoursNow: true);
        await am.PostAsync(Alert("HelpdeskSlaErrorBudgetBurn", "critical", "acme", "whatsapp", "first_response"));
        await Wait.UntilAsync(() => Task.FromResult(_hooks.AlertsAt("oncall").Count > 0), Delivery, "the page", _hooks.Describe);

        await am.PostAsync(
            Alert("HelpdeskSlaErrorBudgetBurn", "warning", "acme", "whatsapp", "first_response"), // same SLA: inhibited
            Alert("HelpdeskSlaErrorBudgetBurn", "warning", "acme", "whatsapp", "resolution"),     // another policy
            Alert("HelpdeskSlaErrorBudgetBurn", "warning", "acme", "email", "first_response"));   // another channel

        await Wait.UntilAsync(() => Task.FromResult(_hooks.AlertsAt("ticket-queue").Count(a => a.Label("severity") == "warning") >= 2),
            Delivery, "the two warnings that are not inhibited", _hooks.Describe);
        // The inhibited warning shares its group (alertname, source, sla) with the email one: had it not been
        // inhibited, it would have been in the same notification.
        var tickets = _hooks.AlertsAt("ticket-queue");
        Assert.DoesNotContain(tickets, a => a.Label("channel") == "whatsapp" && a.Label("sla") == "first_response");
        Assert.Contains(tickets, a => a.Label("channel") == "whatsapp" && a.Label("sla") == "resolution");
        Assert.Contains(tickets, a => a.Label("channel") == "email" && a.Label("sla") == "first_response");

        var inhibited = (await am.AlertsAsync()).Single(a => a.Label("severity") == "warning" && a.Label("channel") == "whatsapp" && a.Label("sla") == "first_response");
        Assert.Equal("suppressed", inhibited.State);
        Assert.NotEmpty(inhibited.InhibitedBy);
    }

    private async Task<AlertmanagerServer> StartAsync(bool businessHoursNow)
    {
        var config = AlertmanagerConfigs.WriteForTest(_dir.Path, _hooks, businessHoursNow);
        var am = AlertmanagerServer.Start(config, _dir.Directory("data"));
        try
        {
            await am.WaitReadyAsync(TimeSpan.FromSeconds(60));
            return am;
        }
        catch
        {
            am.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string> Alert(string name, string severity, string? source, string? channel = null, string? sla = null)
    {
        var labels = new Dictionary<string, string> { ["alertname"] = name, ["severity"] = severity };
        if (source is not null)
        {
            labels["source"] = source;
        }

        if (channel is not null)
        {
            labels["channel"] = channel;
        }

        if (sla is not null)
        {
            labels["sla"] = sla;
        }

        return labels;
    }
}
