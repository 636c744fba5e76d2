using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using KpiCollector.Tests.Support;
using Xunit.Abstractions;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The landing page as an operator sees it during a long backfill: the collector and the simulator as separate
/// processes, the simulator's Zendesk face slowed down, the page rendered by headless Chromium. Its screenshot is
/// kept under artifacts/tests/.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class LandingPageBrowserTests(ITestOutputHelper output)
{
    private const string Token = "browser-zendesk-T0ken-90f2";

    [Fact]
    public async Task DuringABackfill_TheLandingPageShowsAProgressBar_WhosePercentageChromiumReads()
    {
        using var dir = new TempDirectory();
        using var simulator = SimulatorProcess.Start("--Simulator:Backfill=1d", $"--Simulator:Zendesk:ApiToken={Token}");
        await simulator.WaitReadyAsync(TimeSpan.FromSeconds(60));
        (await simulator.Http.PostAsync("_sim/faults/zendesk?kind=slow&delay=2&count=-1", null)).EnsureSuccessStatusCode();
        using var collector = CollectorProcess.Start(dir.Path, environment: new Dictionary<string, string>
        {
            ["KPICOLLECTOR__SOURCES__0__NAME"] = "acme-zd",
            ["KPICOLLECTOR__SOURCES__0__PLATFORM"] = "zendesk",
            ["KPICOLLECTOR__SOURCES__0__BASEURL"] = new Uri(simulator.Address, "zendesk").ToString(),
            ["KPICOLLECTOR__SOURCES__0__EMAIL"] = "admin@simulator.test",
            ["KPICOLLECTOR__SOURCES__0__APITOKEN"] = Token,
            ["KPICOLLECTOR__SOURCES__0__BACKFILL"] = "1d",
            ["KPICOLLECTOR__SOURCES__0__ZENDESK__PERPAGE"] = "100",
            ["KPICOLLECTOR__SOURCES__0__ZENDESK__CSAT"] = "legacy",
        });

        // Wait until the backfill is under way with an estimate, as an operator would glance at it.
        double readyzPercent = 0;
        await CollectorHost.WaitUntilAsync(async () =>
        {
            try
            {
                using var response = await collector.Http.GetAsync("/readyz");
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var list = body.RootElement.GetProperty("backfilling").EnumerateArray().ToList();
                if (list.Count == 1 && list[0].GetProperty("etaSeconds").ValueKind == JsonValueKind.Number)
                {
                    readyzPercent = list[0].GetProperty("percent").GetDouble();
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            return false;
        }, TimeSpan.FromSeconds(90), "the collector to report the backfill with an estimate");

        var page = new Uri($"http://127.0.0.1:{collector.Port}/");
        var screenshot = HeadlessChromium.ArtifactPath("landing-page-backfill.png");
        await HeadlessChromium.ScreenshotAsync(page, screenshot);
        output.WriteLine($"screenshot: {screenshot}");
        var dom = await HeadlessChromium.DumpDomAsync(page);

        var bar = ProgressBar().Match(dom);
        Assert.True(bar.Success, $"no progress bar for acme-zd in the rendered page:\n{dom}");
        var value = double.Parse(bar.Groups["value"].Value, CultureInfo.InvariantCulture);
        var label = PercentLabel().Match(dom);
        Assert.True(label.Success, "no percentage beside the bar");
        var percent = double.Parse(label.Groups["percent"].Value, CultureInfo.InvariantCulture);
        output.WriteLine($"bar value {value}, label {percent} %, /readyz {readyzPercent} % a moment before");

        Assert.InRange(percent, 0.1, 99.9);
        Assert.Equal(value * 100, percent, 0.1); // the bar and its label agree
        Assert.InRange(percent, readyzPercent - 1, readyzPercent + 50); // moving forward from what /readyz said
        Assert.Matches(@"time left: (about \d+ (s|min)|about \d+ h \d+ min)", dom);
        Assert.Contains("requests", dom, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, dom, StringComparison.Ordinal);
    }

    [GeneratedRegex("<progress class=\"backfill\" data-source=\"acme-zd\" value=\"(?<value>[0-9.]+)\" max=\"1\">")]
    private static partial Regex ProgressBar();

    [GeneratedRegex("<b class=\"backfill-percent\" data-source=\"acme-zd\">(?<percent>[0-9.]+) %</b>")]
    private static partial Regex PercentLabel();
}
