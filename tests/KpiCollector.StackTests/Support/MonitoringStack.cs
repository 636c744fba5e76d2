namespace KpiCollector.StackTests.Support;

/// <summary>
/// The compose stack minus Grafana, as real processes on loopback: the collector, Prometheus running the shipped
/// rule files against it, Alertmanager with the shipped routing, and a webhook receiver standing in for every
/// Alertmanager receiver. Everything lives in one temp folder and stops on dispose.
/// </summary>
internal sealed class MonitoringStack : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<IDisposable> _owned = [];

    private MonitoringStack()
    {
    }

    public WebhookReceiver Hooks { get; private set; } = null!;

    public AlertmanagerServer Alertmanager { get; private set; } = null!;

    public CollectorProcess Collector { get; private set; } = null!;

    public PrometheusServer Prometheus { get; private set; } = null!;

    /// <param name="collectorArgs">Configuration of the collector (sources, simulator scenarios, intervals).</param>
    /// <param name="businessHoursNow">Whether Alertmanager's business-hours interval covers the test's run.</param>
    public static async Task<MonitoringStack> StartAsync(IEnumerable<string> collectorArgs, bool businessHoursNow = true)
    {
        var stack = new MonitoringStack();
        try
        {
            await stack.StartProcessesAsync(collectorArgs, businessHoursNow);
            return stack;
        }
        catch
        {
            stack.Dispose();
            throw;
        }
    }

    /// <summary>What each process said, for failure messages.</summary>
    public string Diagnostics() =>
        $"--- webhooks\n{Hooks.Describe()}\n--- collector\n{Collector.Output}\n--- prometheus\n{Prometheus.Output}\n--- alertmanager\n{Alertmanager.Output}";

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _dir.Dispose();
    }

    private async Task StartProcessesAsync(IEnumerable<string> collectorArgs, bool businessHoursNow)
    {
        Hooks = Own(new WebhookReceiver());
        var amConfig = AlertmanagerConfigs.WriteForTest(_dir.Directory("alertmanager-config"), Hooks, businessHoursNow);
        Alertmanager = Own(AlertmanagerServer.Start(amConfig, _dir.Directory("alertmanager-data")));
        Collector = Own(CollectorProcess.Start(_dir.Directory("collector"), collectorArgs));

        var prometheusPort = PrometheusServer.ReservePort();
        var promConfig = PrometheusConfigs.WriteForTest(_dir.Directory("prometheus-config"), Collector.Port, Alertmanager.Port, prometheusPort);
        Prometheus = Own(PrometheusServer.Start(promConfig, _dir.Directory("prometheus-data"), prometheusPort));

        await Task.WhenAll(
            Alertmanager.WaitReadyAsync(TimeSpan.FromSeconds(60)),
            Collector.WaitReadyAsync(TimeSpan.FromSeconds(120)),
            Prometheus.WaitReadyAsync(TimeSpan.FromSeconds(60)));
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
