using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests.Support;

/// <summary>One series of an instant query result.</summary>
internal sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.GetValueOrDefault(name, "");

    public override string ToString() => $"{{{string.Join(", ", Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}}} {Value}";
}

internal sealed record PromAlert(IReadOnlyDictionary<string, string> Labels, string State)
{
    public override string ToString() => $"{State} {{{string.Join(", ", Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}}}";
}

/// <summary>Debian's Prometheus (package prometheus) on a free loopback port, its TSDB in a temp folder.</summary>
internal sealed class PrometheusServer : IDisposable
{
    private readonly ChildProcess _process;

    private PrometheusServer(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output => _process.Tail();

    public static int ReservePort() => Wait.FreePort();

    public static PrometheusServer Start(string configFile, string dataDirectory, int port)
    {
        var process = ChildProcess.Start("prometheus",
        [
            $"--config.file={configFile}",
            $"--storage.tsdb.path={dataDirectory}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--enable-feature=exemplar-storage", // as docker-compose.yml runs it: the histogram's exemplars are kept
            "--log.level=warn",
        ], dataDirectory);
        return new PrometheusServer(process, port);
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
    }, timeout, "Prometheus to be ready", () => _process.Tail());

    /// <summary>An instant query at the present time; fails the test when Prometheus reports an error.</summary>
    public async Task<IReadOnlyList<PromSample>> QueryAsync(string expr)
    {
        var response = await Http.PostAsync("/api/v1/query", new FormUrlEncodedContent(new Dictionary<string, string> { ["query"] = expr }));
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        Assert.True(doc.RootElement.GetProperty("status").GetString() == "success", $"query {expr} failed: {text}");
        var data = doc.RootElement.GetProperty("data");
        var type = data.GetProperty("resultType").GetString();
        var result = data.GetProperty("result");
        if (type == "scalar")
        {
            return [new PromSample(new Dictionary<string, string>(), ParseValue(result[1]))];
        }

        Assert.True(type == "vector", $"query {expr} returned a {type}");
        return result.EnumerateArray().Select(s => new PromSample(
            s.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            ParseValue(s.GetProperty("value")[1]))).ToList();
    }

    /// <summary>A range query: each series with its (time, value) points, every <paramref name="step"/> from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public async Task<IReadOnlyList<(Dictionary<string, string> Labels, List<(DateTimeOffset At, double Value)> Points)>> QueryRangeAsync(
        string expr, DateTimeOffset start, DateTimeOffset end, TimeSpan step)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var response = await Http.PostAsync("/api/v1/query_range", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["query"] = expr,
            ["start"] = (start.ToUnixTimeMilliseconds() / 1000.0).ToString(ci),
            ["end"] = (end.ToUnixTimeMilliseconds() / 1000.0).ToString(ci),
            ["step"] = step.TotalSeconds.ToString(ci),
        }));
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        Assert.True(doc.RootElement.GetProperty("status").GetString() == "success", $"query_range {expr} failed: {text}");
        return doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(s => (
            s.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            s.GetProperty("values").EnumerateArray()
                .Select(v => (DateTimeOffset.FromUnixTimeMilliseconds((long)(v[0].GetDouble() * 1000)), ParseValue(v[1])))
                .ToList())).ToList();
    }

    /// <summary>The exemplars stored for the series of <paramref name="selector"/> over the last <paramref name="range"/>: their labels and values.</summary>
    public async Task<IReadOnlyList<PromSample>> ExemplarsAsync(string selector, TimeSpan range)
    {
        var end = DateTimeOffset.UtcNow;
        var response = await Http.PostAsync("/api/v1/query_exemplars", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["query"] = selector,
            ["start"] = (end - range).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["end"] = end.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        Assert.True(doc.RootElement.GetProperty("status").GetString() == "success", $"query_exemplars {selector} failed: {text}");
        return doc.RootElement.GetProperty("data").EnumerateArray()
            .SelectMany(series => series.GetProperty("exemplars").EnumerateArray())
            .Select(e => new PromSample(
                e.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
                double.Parse(e.GetProperty("value").GetString()!, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>The alerts Prometheus's rules hold now (pending or firing).</summary>
    public async Task<IReadOnlyList<PromAlert>> AlertsAsync()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync("/api/v1/alerts"));
        return doc.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(a => new PromAlert(
            a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            a.GetProperty("state").GetString()!)).ToList();
    }

    public void Dispose()
    {
        _process.Dispose();
        Http.Dispose();
    }

    private static double ParseValue(JsonElement value) => value.GetString() switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var s => double.Parse(s!, System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>The shipped prometheus.yml, made runnable in a test.</summary>
internal static class PrometheusConfigs
{
    /// <summary>
    /// Writes the shipped configuration with only what a test must change: 1-second scrape and evaluation
    /// intervals, the shipped rule files by absolute path, the static targets of the compose stack mapped to the
    /// loopback ports of the test's processes, and the file_sd job reading the shipped example target file from a
    /// copy in <paramref name="directory"/>. Jobs, sample limits and the rules themselves are the shipped ones.
    /// </summary>
    public static string WriteForTest(string directory, int collectorPort, int alertmanagerPort, int prometheusPort)
    {
        var targets = new Dictionary<string, string>
        {
            ["kpicollector:9470"] = $"127.0.0.1:{collectorPort}",
            ["alertmanager:9093"] = $"127.0.0.1:{alertmanagerPort}",
            ["localhost:9090"] = $"127.0.0.1:{prometheusPort}",
        };
        var root = Yaml.Load(Repo.PrometheusConfig);
        var global = root.Map("global");
        global.Set("scrape_interval", "1s");
        global.Set("scrape_timeout", "1s");
        global.Set("evaluation_interval", "1s");

        var ruleFiles = root.Strings("rule_files").Select(f => Path.GetFullPath(Path.Combine(Repo.PrometheusDir, f))).ToArray();
        Assert.All(ruleFiles, f => Assert.True(File.Exists(f), $"rule file {f} of prometheus.yml does not exist"));
        root.Set("rule_files", Yaml.Seq(ruleFiles));

        foreach (var am in root.Map("alerting").Maps("alertmanagers"))
        {
            Retarget(am, targets);
        }

        var targetsDir = Directory.CreateDirectory(Path.Combine(directory, "targets")).FullName;
        foreach (var job in root.Maps("scrape_configs"))
        {
            Retarget(job, targets);
            foreach (var sd in job.Maps("file_sd_configs"))
            {
                var files = sd.Strings("files").ToList();
                foreach (var pattern in files)
                {
                    var shippedDir = Path.GetDirectoryName(Path.Combine(Repo.PrometheusDir, pattern))!;
                    foreach (var file in Directory.EnumerateFiles(shippedDir, Path.GetFileName(pattern)))
                    {
                        File.Copy(file, Path.Combine(targetsDir, Path.GetFileName(file)));
                    }
                }

                sd.Set("files", Yaml.Seq(files.Select(f => Path.Combine(targetsDir, Path.GetFileName(f))).ToArray()));
            }
        }

        var path = Path.Combine(directory, "prometheus.yml");
        Yaml.Save(root, path);
        return path;
    }

    private static void Retarget(YamlMappingNode withStaticConfigs, Dictionary<string, string> targets)
    {
        foreach (var sc in withStaticConfigs.Maps("static_configs"))
        {
            var mapped = sc.Strings("targets").Select(t => targets.TryGetValue(t, out var local)
                ? local
                : throw new InvalidOperationException($"prometheus.yml target {t} has no loopback stand-in in the tests")).ToArray();
            sc.Set("targets", Yaml.Seq(mapped));
        }
    }
}
