using System.Net.Http.Json;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests.Support;

internal sealed record ManagedAlert(IReadOnlyDictionary<string, string> Labels, string State, IReadOnlyList<string> InhibitedBy)
{
    public string Label(string name) => Labels.GetValueOrDefault(name, "");

    public override string ToString() =>
        $"{State}{(InhibitedBy.Count > 0 ? " (inhibited)" : "")} {{{string.Join(", ", Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}}}";
}

/// <summary>
/// Debian's Alertmanager (package prometheus-alertmanager) on a free loopback port, with clustering off (no gossip
/// port), its data in a temp folder. Disposing it stops the process.
/// </summary>
internal sealed class AlertmanagerServer : IDisposable
{
    private readonly ChildProcess _process;

    private AlertmanagerServer(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output => _process.Tail();

    /// <summary>
    /// Starts watching for the dispatcher's log line saying that a route outside its active time intervals sent nothing
    /// (Alertmanager 0.25: "Notifications not sent, route is not within active time"); await the result to wait for it.
    /// </summary>
    public Func<TimeSpan, Task> WatchForInactiveRouteSkip() =>
        _process.WatchFor(l => l.Contains("route is not within active time", StringComparison.Ordinal), 1, "a route skipped outside its active time");

    /// <summary>
    /// Starts watching for <paramref name="count"/> flushes of the aggregation groups of an alert (its name and source,
    /// as in the group key). A group's flushes run one after another, notification included, so a second flush means
    /// the first one's notification was sent, or decided against (inhibited, muted).
    /// </summary>
    public Func<TimeSpan, Task> WatchForFlushes(string alertname, string source, int count) =>
        _process.WatchFor(
            l => l.Contains("msg=flushing", StringComparison.Ordinal)
                && l.Contains($"alertname=\\\"{alertname}\\\"", StringComparison.Ordinal)
                && l.Contains($"source=\\\"{source}\\\"", StringComparison.Ordinal),
            count,
            $"{count} flushes of the groups of {alertname} for source {source}");

    public static AlertmanagerServer Start(string configFile, string dataDirectory)
    {
        var port = Wait.FreePort();
        var process = ChildProcess.Start("prometheus-alertmanager",
        [
            $"--config.file={configFile}",
            $"--storage.path={dataDirectory}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=", // no cluster: nothing listens beyond the web port
            "--log.level=debug", // its dispatcher's decisions (flushes, muted routes) are what the routing tests wait on
        ], dataDirectory);
        return new AlertmanagerServer(process, port);
    }

    public Task WaitReadyAsync(TimeSpan timeout) => Wait.UntilAsync(async () =>
    {
        _process.AssertRunning();
        try
        {
            return (await Http.GetAsync("/-/ready")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, timeout, "Alertmanager to be ready", () => _process.Tail());

    /// <summary>Posts alerts the way Prometheus does (POST /api/v2/alerts), active for ten minutes.</summary>
    public async Task PostAsync(params IReadOnlyDictionary<string, string>[] labelSets)
    {
        var now = DateTimeOffset.UtcNow;
        var body = labelSets.Select(labels => new
        {
            labels,
            annotations = new Dictionary<string, string> { ["summary"] = "Posted by a test." },
            startsAt = now,
            endsAt = now.AddMinutes(10),
        });
        var response = await Http.PostAsJsonAsync("/api/v2/alerts", body);
        Assert.True(response.IsSuccessStatusCode, $"POST /api/v2/alerts: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The alerts Alertmanager holds now, with their state (active, suppressed) and inhibitors.</summary>
    public async Task<IReadOnlyList<ManagedAlert>> AlertsAsync()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync("/api/v2/alerts"));
        return doc.RootElement.EnumerateArray().Select(a => new ManagedAlert(
            a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            a.GetProperty("status").GetProperty("state").GetString()!,
            a.GetProperty("status").GetProperty("inhibitedBy").EnumerateArray().Select(i => i.GetString()!).ToList())).ToList();
    }

    public void Dispose()
    {
        _process.Dispose();
        Http.Dispose();
    }
}

/// <summary>The shipped alertmanager.yml, made runnable in a test.</summary>
internal static class AlertmanagerConfigs
{
    /// <summary>
    /// Writes the shipped configuration with only what a test must change: every receiver's webhook URL points at
    /// <paramref name="hooks"/>, grouping timers are shortened (group_wait and group_interval 1s), and each time
    /// interval is replaced by one that covers the present moment (<paramref name="businessHoursNow"/> true) or no
    /// moment at all, since a test cannot choose the wall clock. Routes, matchers, continue flags, the time
    /// intervals they reference, and the inhibit rules stay exactly as shipped.
    /// </summary>
    public static string WriteForTest(string directory, WebhookReceiver hooks, bool businessHoursNow)
    {
        var root = Yaml.Load(Repo.AlertmanagerConfig);
        foreach (var receiver in root.Maps("receivers"))
        {
            var name = receiver.Str("name")!;
            var kinds = receiver.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value).Where(k => k != "name").ToList();
            Assert.True(kinds.All(k => k == "webhook_configs"),
                $"receiver {name} has {string.Join(", ", kinds)}: the end-to-end tests only know how to redirect webhook_configs to loopback");
            foreach (var webhook in receiver.Maps("webhook_configs"))
            {
                webhook.Set("url", hooks.UrlFor(name));
            }
        }

        ShortenTimers(root.Map("route"));
        foreach (var interval in root.Maps("time_intervals"))
        {
            var spec = new YamlMappingNode();
            if (businessHoursNow)
            {
                spec.Set("times", new YamlSequenceNode(new YamlMappingNode(
                    new YamlScalarNode("start_time"), new YamlScalarNode("00:00"),
                    new YamlScalarNode("end_time"), new YamlScalarNode("24:00"))));
            }
            else
            {
                spec.Set("years", Yaml.Seq("1999")); // never
            }

            interval.Set("time_intervals", new YamlSequenceNode(spec));
        }

        var path = Path.Combine(directory, "alertmanager.yml");
        Yaml.Save(root, path);
        return path;
    }

    private static void ShortenTimers(YamlMappingNode route)
    {
        route.Set("group_wait", "1s");
        route.Set("group_interval", "1s");
        if (route.Get("repeat_interval") is not null)
        {
            route.Set("repeat_interval", "1h");
        }

        foreach (var child in route.Maps("routes"))
        {
            ShortenTimers(child);
        }
    }
}
